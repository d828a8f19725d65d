// dissect(): the per-packet path. No exceptions, no allocation for ordinary frames (IPv4 options
// are skipped, not copied), one bounds check per header.
#include "packet/dissect.hpp"

#include <algorithm>

#include "packet/ip_detail.hpp"
#include "packet/ipv4.hpp"
#include "packet/ipv6.hpp"

namespace tcplab::packet {

namespace {

// Error offsets from a layer parser are relative to that layer; callers see frame offsets.
ParseError at(ParseError e, std::size_t layer_offset) {
    e.offset += layer_offset;
    return e;
}

Result<Dissected> dissect_ipv4(std::span<const std::uint8_t> frame, std::size_t ip_offset) {
    Dissected d;
    Ipv4Header h;
    auto header_length = detail::parse_ipv4_into(frame.subspan(ip_offset), h, false);
    if (!header_length) return at(header_length.error(), ip_offset);
    d.ip_version = 4;
    d.src = h.src;
    d.dst = h.dst;
    d.protocol = h.protocol;
    d.ip_offset = ip_offset;
    d.transport_offset = ip_offset + *header_length;
    d.transport_length = static_cast<std::uint32_t>(h.total_length - *header_length);
    d.is_fragment = h.is_fragment();
    d.is_first_fragment = h.fragment_offset == 0;
    return d;
}

Result<Dissected> dissect_ipv6(std::span<const std::uint8_t> frame, std::size_t ip_offset) {
    Dissected d;
    auto chain = parse_ipv6(frame.subspan(ip_offset));
    if (!chain) return at(chain.error(), ip_offset);
    d.ip_version = 6;
    d.src = chain->header.src;
    d.dst = chain->header.dst;
    d.protocol = chain->upper_protocol;
    d.ip_offset = ip_offset;
    d.transport_offset = ip_offset + chain->upper_offset;
    d.transport_length =
        static_cast<std::uint32_t>(40 + chain->header.payload_length - chain->upper_offset);
    d.is_fragment = chain->is_fragment;
    d.is_first_fragment = chain->is_first_fragment;
    return d;
}

// Parses TCP at d.transport_offset when the IP layer says it is there and it is not a later
// fragment. The segment is bounded by the IP length (Ethernet padding is not payload) and by
// what was captured (snaplen).
Result<Dissected> add_transport(std::span<const std::uint8_t> frame, Result<Dissected> ip) {
    if (!ip) return ip;
    Dissected& d = ip.value();
    if (d.protocol != kIpProtoTcp || !d.is_first_fragment) return ip;
    const std::size_t captured = frame.size() - std::min(frame.size(), d.transport_offset);
    const auto segment = frame.subspan(std::min(frame.size(), d.transport_offset),
                                       std::min<std::size_t>(captured, d.transport_length));
    auto tcp = parse_tcp(segment);
    if (!tcp) return at(tcp.error(), d.transport_offset);
    d.tcp = std::move(tcp.value());
    d.is_tcp = true;
    const std::size_t header_length = d.tcp.header_length();
    d.tcp_payload_offset = d.transport_offset + header_length;
    d.tcp_payload_length =
        d.transport_length > header_length ? static_cast<std::uint32_t>(d.transport_length - header_length) : 0;
    d.captured_payload = static_cast<std::uint32_t>(segment.size() - header_length);
    return ip;
}

Result<Dissected> dissect_network(std::span<const std::uint8_t> frame, std::size_t ip_offset,
                                   int version) {
    if (version == 4) return add_transport(frame, dissect_ipv4(frame, ip_offset));
    if (version == 6) return add_transport(frame, dissect_ipv6(frame, ip_offset));
    return Dissected{};  // not IP: nothing to report, and not an error
}

}  // namespace

Result<Dissected> dissect(LinkType link, std::span<const std::uint8_t> frame) {
    auto view = parse_link(link, frame);
    if (!view) return view.error();
    const int version = view->ether_type == kEtherTypeIpv4   ? 4
                        : view->ether_type == kEtherTypeIpv6 ? 6
                                                             : 0;
    return dissect_network(frame, view->network_offset, version);
}

Result<Dissected> dissect_ip(std::span<const std::uint8_t> packet) {
    if (packet.empty()) return ParseError{ErrorCode::truncated, 0, "IP packet is empty"};
    const int version = packet[0] >> 4;
    if (version != 4 && version != 6)
        return ParseError{ErrorCode::bad_version, 0, "IP version neither 4 nor 6"};
    return dissect_network(packet, 0, version);
}

}  // namespace tcplab::packet
