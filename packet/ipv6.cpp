#include "packet/ipv6.hpp"

#include "packet/byte_io.hpp"
#include "packet/detail/ip_detail.hpp"

namespace tcplab::packet {

namespace {

constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragment = 44;
constexpr std::uint8_t kAuthentication = 51;
constexpr std::uint8_t kDestinationOptions = 60;

}  // namespace

namespace detail {

std::optional<ParseError> parse_ipv6_into(std::span<const std::uint8_t> bytes, Ipv6Chain& chain) {
    if (bytes.empty()) return ParseError{ErrorCode::truncated, 0, "IPv6 header truncated"};
    if ((bytes[0] >> 4) != 6) return ParseError{ErrorCode::bad_version, 0, "IP version is not 6"};
    ByteReader r(bytes);
    if (!r.need(40)) return ParseError{ErrorCode::truncated, 0, "IPv6 header truncated"};
    chain.is_fragment = false;
    chain.is_first_fragment = true;
    Ipv6Header& h = chain.header;
    const std::uint32_t first = r.u32();
    h.traffic_class = static_cast<std::uint8_t>(first >> 20);
    h.flow_label = first & 0xFFFFF;
    h.payload_length = r.u16();
    h.next_header = r.u8();
    h.hop_limit = r.u8();
    h.src = IpAddress::v6_bytes(r.bytes(16).data());
    h.dst = IpAddress::v6_bytes(r.bytes(16).data());

    // Walk the extension headers. Each is at least 8 bytes, so the loop is bounded by the span.
    std::uint8_t next = h.next_header;
    std::size_t offset = 40;
    for (;;) {
        const bool generic = next == kHopByHop || next == kRouting || next == kDestinationOptions;
        if (!generic && next != kFragment && next != kAuthentication) break;
        if (offset + 8 > bytes.size())
            return ParseError{ErrorCode::bad_header_length, offset,
                              "IPv6 extension header runs past the end"};
        const std::uint8_t following = bytes[offset];
        std::size_t length = 8;
        if (generic) {
            length = (std::size_t{bytes[offset + 1]} + 1) * 8;  // RFC 8200 4.3: 8-octet units
        } else if (next == kAuthentication) {
            length = (std::size_t{bytes[offset + 1]} + 2) * 4;  // RFC 4302 2.2: 4-octet units
        }
        if (offset + length > bytes.size())
            return ParseError{ErrorCode::bad_header_length, offset,
                              "IPv6 extension header runs past the end"};
        if (next == kFragment) {
            const std::uint16_t offset_flags =
                static_cast<std::uint16_t>((bytes[offset + 2] << 8) | bytes[offset + 3]);
            // An atomic fragment (offset 0, no more fragments: RFC 6946) is a whole packet, and
            // tshark dissects its payload as such.
            chain.is_fragment = (offset_flags >> 3) != 0 || (offset_flags & 1) != 0;
            chain.is_first_fragment = (offset_flags >> 3) == 0;
        }
        offset += length;
        next = following;
        // A later fragment's data is not a header: stop, naming the protocol it belongs to.
        if (!chain.is_first_fragment) break;
    }
    if (offset > 40 + std::size_t{h.payload_length})
        return ParseError{ErrorCode::bad_total_length, 4,
                          "IPv6 payload length shorter than its extension headers"};
    chain.upper_protocol = next;
    chain.upper_offset = offset;
    return std::nullopt;
}

}  // namespace detail

Result<Ipv6Chain> parse_ipv6(std::span<const std::uint8_t> bytes) {
    Ipv6Chain chain;
    if (auto error = detail::parse_ipv6_into(bytes, chain)) return *error;
    return chain;
}

void write_ipv6(const Ipv6Header& header, std::size_t payload_length,
                std::vector<std::uint8_t>& out) {
    ByteWriter w(out);
    w.u32((6u << 28) | (std::uint32_t{header.traffic_class} << 20) | (header.flow_label & 0xFFFFF));
    w.u16(static_cast<std::uint16_t>(payload_length));
    w.u8(header.next_header);
    w.u8(header.hop_limit);
    w.bytes({header.src.bytes.data(), 16});
    w.bytes({header.dst.bytes.data(), 16});
}

}  // namespace tcplab::packet
