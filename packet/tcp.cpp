// parse_tcp / parse_tcp_options: wire bytes -> TcpHeader with typed options.
#include "packet/tcp.hpp"

#include "packet/byte_io.hpp"
#include "packet/detail/ip_detail.hpp"

namespace tcplab::packet {

namespace {

// Stores an option whose kind we know but whose length is not the RFC's as raw, like an unknown
// option: the segment is still analysable (Wireshark too only flags such an option).
void keep_raw(TcpOptions& out, std::uint8_t kind, std::span<const std::uint8_t> data) {
    out.unknown.push_back(RawTcpOption{kind, {data.begin(), data.end()}});
}

void store_option(TcpOptions& out, std::uint8_t kind, std::span<const std::uint8_t> data) {
    ByteReader r(data);
    switch (kind) {
        case tcp_option_kind::kMss:
            if (data.size() != 2) return keep_raw(out, kind, data);
            out.mss = r.u16();
            return;
        case tcp_option_kind::kWindowScale:
            if (data.size() != 1) return keep_raw(out, kind, data);
            out.window_scale = r.u8();
            return;
        case tcp_option_kind::kSackPermitted:
            if (!data.empty()) return keep_raw(out, kind, data);
            out.sack_permitted = true;
            return;
        case tcp_option_kind::kTimestamps:
            if (data.size() != 8) return keep_raw(out, kind, data);
            out.timestamps = TcpTimestamps{r.u32(), r.u32()};
            return;
        case tcp_option_kind::kSack: {
            // 1..4 blocks fit in 40 option bytes; any other size is malformed.
            if (data.empty() || data.size() % 8 != 0 || data.size() / 8 > out.sack_blocks.size())
                return keep_raw(out, kind, data);
            out.sack_block_count = static_cast<std::uint8_t>(data.size() / 8);
            for (std::size_t i = 0; i < out.sack_block_count; ++i) {
                const SeqNum left(r.u32());
                const SeqNum right(r.u32());
                out.sack_blocks[i] = SackBlock{left, right};
            }
            return;
        }
        default:
            keep_raw(out, kind, data);
    }
}

// Fills `out`, which holds no option yet; nullopt on success.
std::optional<ParseError> parse_options_into(std::span<const std::uint8_t> options,
                                             std::size_t base_offset, TcpOptions& out) {
    std::size_t i = 0;
    while (i < options.size()) {
        const std::uint8_t kind = options[i];
        if (kind == tcp_option_kind::kEol) break;  // the rest is padding
        if (kind == tcp_option_kind::kNop) {
            ++i;
            continue;
        }
        if (i + 1 >= options.size())
            return ParseError{ErrorCode::bad_option_length, base_offset + i,
                              "TCP option has no length byte"};
        const std::size_t length = options[i + 1];
        if (length < 2)
            return ParseError{ErrorCode::bad_option_length, base_offset + i + 1,
                              "TCP option length below 2"};
        if (i + length > options.size())
            return ParseError{ErrorCode::bad_option_length, base_offset + i + 1,
                              "TCP option runs past the options area"};
        store_option(out, kind, options.subspan(i + 2, length - 2));
        i += length;
    }
    return std::nullopt;
}

}  // namespace

Result<TcpOptions> parse_tcp_options(std::span<const std::uint8_t> options,
                                     std::size_t base_offset) {
    TcpOptions out;
    if (auto error = parse_options_into(options, base_offset, out)) return *error;
    return out;
}

namespace detail {

std::optional<ParseError> parse_tcp_into(std::span<const std::uint8_t> bytes, TcpHeader& h) {
    ByteReader r(bytes);
    if (!r.need(20)) return ParseError{ErrorCode::truncated, 0, "TCP header truncated"};
    h.src_port = r.u16();
    h.dst_port = r.u16();
    h.seq = SeqNum(r.u32());
    h.ack = SeqNum(r.u32());
    const std::uint16_t offset_flags = r.u16();
    h.data_offset = static_cast<std::uint8_t>(offset_flags >> 12);
    // 12 bits as Wireshark's tcp.flags: 3 reserved bits, AE, CWR ... FIN.
    h.flags = offset_flags & 0x0FFF;
    h.window = r.u16();
    h.checksum = r.u16();
    h.urgent_pointer = r.u16();
    h.options.clear();  // h may hold an earlier segment's (dissect_innermost_into)
    if (h.data_offset < 5)
        return ParseError{ErrorCode::bad_header_length, 12, "TCP data offset below 5"};
    if (h.header_length() > bytes.size())
        return ParseError{ErrorCode::bad_header_length, 12, "TCP data offset past the end"};
    if (h.header_length() > 20)
        return parse_options_into(bytes.subspan(20, h.header_length() - 20), 20, h.options);
    return std::nullopt;
}

}  // namespace detail

Result<TcpHeader> parse_tcp(std::span<const std::uint8_t> bytes) {
    TcpHeader h;
    if (auto error = detail::parse_tcp_into(bytes, h)) return *error;
    return h;
}

}  // namespace tcplab::packet
