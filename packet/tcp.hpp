#pragma once
// TCP header (RFC 9293) with all nine flags and typed options (RFC 7323, 2018), unknown options
// kept raw. TcpHeader is a plain value; parse_tcp never allocates unless unknown options appear.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "packet/result.hpp"
#include "packet/seq_num.hpp"

namespace tcplab::packet {

namespace tcp_flag {
constexpr std::uint16_t kFin = 0x001;
constexpr std::uint16_t kSyn = 0x002;
constexpr std::uint16_t kRst = 0x004;
constexpr std::uint16_t kPsh = 0x008;
constexpr std::uint16_t kAck = 0x010;
constexpr std::uint16_t kUrg = 0x020;
constexpr std::uint16_t kEce = 0x040;
constexpr std::uint16_t kCwr = 0x080;
constexpr std::uint16_t kAe = 0x100;  // RFC 3540 NS, now AccECN's AE
}  // namespace tcp_flag

namespace tcp_option_kind {
constexpr std::uint8_t kEol = 0;
constexpr std::uint8_t kNop = 1;
constexpr std::uint8_t kMss = 2;
constexpr std::uint8_t kWindowScale = 3;
constexpr std::uint8_t kSackPermitted = 4;
constexpr std::uint8_t kSack = 5;
constexpr std::uint8_t kTimestamps = 8;
}  // namespace tcp_option_kind

struct SackBlock {
    SeqNum left;
    SeqNum right;
    friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct TcpTimestamps {
    std::uint32_t value = 0;
    std::uint32_t echo_reply = 0;
    friend bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};

struct RawTcpOption {
    std::uint8_t kind = 0;
    std::vector<std::uint8_t> data;  // without kind and length bytes
    friend bool operator==(const RawTcpOption&, const RawTcpOption&) = default;
};

// One option as it appears on the wire, in order. Building uses a list of these.
struct TcpOption {
    enum class Kind : std::uint8_t {
        eol,
        nop,
        mss,
        window_scale,
        sack_permitted,
        sack,
        timestamps,
        raw
    };
    Kind kind = Kind::nop;
    std::uint16_t mss = 0;
    std::uint8_t window_scale = 0;
    std::vector<SackBlock> sack;
    TcpTimestamps timestamps;
    RawTcpOption raw;

    static TcpOption make_eol();
    static TcpOption make_nop();
    static TcpOption make_mss(std::uint16_t mss);
    static TcpOption make_window_scale(std::uint8_t shift);
    static TcpOption make_sack_permitted();
    static TcpOption make_sack(std::vector<SackBlock> blocks);
    static TcpOption make_timestamps(std::uint32_t value, std::uint32_t echo_reply);
    static TcpOption make_raw(std::uint8_t kind, std::vector<std::uint8_t> data);
    friend bool operator==(const TcpOption&, const TcpOption&) = default;
};

// Typed view of the options of a parsed header.
struct TcpOptions {
    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> window_scale;
    bool sack_permitted = false;
    std::optional<TcpTimestamps> timestamps;
    std::array<SackBlock, 4> sack_blocks{};
    std::uint8_t sack_block_count = 0;
    std::vector<RawTcpOption> unknown;

    std::span<const SackBlock> sack() const { return {sack_blocks.data(), sack_block_count}; }
    // No option (the unknown options' buffer is kept for reuse).
    void clear() {
        mss.reset();
        window_scale.reset();
        sack_permitted = false;
        timestamps.reset();
        sack_block_count = 0;
        unknown.clear();
    }
};

struct TcpHeader {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    SeqNum seq;
    SeqNum ack;
    std::uint8_t data_offset = 5;  // in 32-bit words; computed from options when writing
    std::uint16_t flags = 0;       // tcp_flag bits; parse keeps all 12 (3 reserved too, as tshark)
    std::uint16_t window = 0;      // raw, unscaled
    std::uint16_t checksum = 0;    // as read; write_tcp computes it
    std::uint16_t urgent_pointer = 0;
    TcpOptions options;  // filled by parse_tcp
    std::vector<TcpOption>
        option_list;  // used by write_tcp (in wire order); parse_tcp leaves it empty

    bool has(std::uint16_t flag) const { return (flags & flag) != 0; }
    std::size_t header_length() const { return std::size_t{data_offset} * 4; }
};

// Errors: truncated, bad_header_length (data offset < 5 or past the end), bad_option_length.
Result<TcpHeader> parse_tcp(std::span<const std::uint8_t> bytes);
// Parses just the options area (header_length - 20 bytes).
Result<TcpOptions> parse_tcp_options(std::span<const std::uint8_t> options,
                                     std::size_t base_offset = 20);
// Encodes options in order, padded with EOL to a multiple of 4 (max 40 bytes, else throws
// UsageError).
std::vector<std::uint8_t> encode_tcp_options(const std::vector<TcpOption>& options);
// The option layout Linux puts on a SYN: MSS, SACK_PERM, TS, NOP, WS (20 bytes when all present).
std::vector<TcpOption> linux_syn_options(std::optional<std::uint16_t> mss, bool sack_permitted,
                                         std::optional<TcpTimestamps> timestamps,
                                         std::optional<std::uint8_t> window_scale);

}  // namespace tcplab::packet
