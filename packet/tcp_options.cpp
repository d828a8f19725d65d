// Building TCP options: the TcpOption factories, wire encoding, and Linux's SYN layout.
#include <string>

#include "base/errors.hpp"
#include "packet/byte_io.hpp"
#include "packet/tcp.hpp"

namespace tcplab::packet {

// Assignment rather than designated initializers: each factory sets only its own field.
TcpOption TcpOption::make_eol() {
    TcpOption o;
    o.kind = Kind::eol;
    return o;
}
TcpOption TcpOption::make_nop() {
    TcpOption o;
    o.kind = Kind::nop;
    return o;
}
TcpOption TcpOption::make_mss(std::uint16_t mss) {
    TcpOption o;
    o.kind = Kind::mss;
    o.mss = mss;
    return o;
}
TcpOption TcpOption::make_window_scale(std::uint8_t shift) {
    TcpOption o;
    o.kind = Kind::window_scale;
    o.window_scale = shift;
    return o;
}
TcpOption TcpOption::make_sack_permitted() {
    TcpOption o;
    o.kind = Kind::sack_permitted;
    return o;
}
TcpOption TcpOption::make_sack(std::vector<SackBlock> blocks) {
    TcpOption o;
    o.kind = Kind::sack;
    o.sack = std::move(blocks);
    return o;
}
TcpOption TcpOption::make_timestamps(std::uint32_t value, std::uint32_t echo_reply) {
    TcpOption o;
    o.kind = Kind::timestamps;
    o.timestamps = TcpTimestamps{value, echo_reply};
    return o;
}
TcpOption TcpOption::make_raw(std::uint8_t kind, std::vector<std::uint8_t> data) {
    TcpOption o;
    o.kind = Kind::raw;
    o.raw = RawTcpOption{kind, std::move(data)};
    return o;
}

namespace {

constexpr std::size_t kMaxOptionBytes = 40;  // data offset 15 words minus the fixed 20 bytes

void encode_one(const TcpOption& o, ByteWriter& w) {
    using K = TcpOption::Kind;
    switch (o.kind) {
        case K::eol:
            w.u8(tcp_option_kind::kEol);
            return;
        case K::nop:
            w.u8(tcp_option_kind::kNop);
            return;
        case K::mss:
            w.u8(tcp_option_kind::kMss);
            w.u8(4);
            w.u16(o.mss);
            return;
        case K::window_scale:
            w.u8(tcp_option_kind::kWindowScale);
            w.u8(3);
            w.u8(o.window_scale);
            return;
        case K::sack_permitted:
            w.u8(tcp_option_kind::kSackPermitted);
            w.u8(2);
            return;
        case K::sack:
            if (o.sack.size() > 4) throw UsageError("a TCP SACK option holds at most 4 blocks");
            w.u8(tcp_option_kind::kSack);
            w.u8(static_cast<std::uint8_t>(2 + 8 * o.sack.size()));
            for (const auto& block : o.sack) {
                w.u32(block.left.raw());
                w.u32(block.right.raw());
            }
            return;
        case K::timestamps:
            w.u8(tcp_option_kind::kTimestamps);
            w.u8(10);
            w.u32(o.timestamps.value);
            w.u32(o.timestamps.echo_reply);
            return;
        case K::raw:
            if (o.raw.data.size() > kMaxOptionBytes - 2)
                throw UsageError("raw TCP option kind " + std::to_string(o.raw.kind) +
                                 " is longer than 40 bytes");
            w.u8(o.raw.kind);
            w.u8(static_cast<std::uint8_t>(2 + o.raw.data.size()));
            w.bytes(o.raw.data);
            return;
    }
}

}  // namespace

std::vector<std::uint8_t> encode_tcp_options(const std::vector<TcpOption>& options) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    for (const auto& option : options) encode_one(option, w);
    if (out.size() > kMaxOptionBytes)
        throw UsageError("TCP options take " + std::to_string(out.size()) +
                         " bytes, more than the 40 the header allows");
    w.zeros((4 - out.size() % 4) % 4);  // EOL padding to a 32-bit boundary
    return out;
}

// Mirrors tcp_options_write() in Linux's net/ipv4/tcp_output.c: SACK_PERM shares the
// timestamp's alignment padding when both are on, otherwise NOPs keep TS and WS aligned.
std::vector<TcpOption> linux_syn_options(std::optional<std::uint16_t> mss, bool sack_permitted,
                                         std::optional<TcpTimestamps> timestamps,
                                         std::optional<std::uint8_t> window_scale) {
    std::vector<TcpOption> out;
    if (mss) out.push_back(TcpOption::make_mss(*mss));
    if (timestamps) {
        if (sack_permitted) {
            out.push_back(TcpOption::make_sack_permitted());
        } else {
            out.push_back(TcpOption::make_nop());
            out.push_back(TcpOption::make_nop());
        }
        out.push_back(TcpOption::make_timestamps(timestamps->value, timestamps->echo_reply));
    } else if (sack_permitted) {
        out.push_back(TcpOption::make_nop());
        out.push_back(TcpOption::make_nop());
        out.push_back(TcpOption::make_sack_permitted());
    }
    if (window_scale) {
        out.push_back(TcpOption::make_nop());
        out.push_back(TcpOption::make_window_scale(*window_scale));
    }
    return out;
}

}  // namespace tcplab::packet
