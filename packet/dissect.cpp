// dissect(): the per-packet path. No exceptions, no allocation for ordinary frames (IPv4 options
// are skipped, not copied), one bounds check per header, and the result is filled in place (one
// Result<Dissected> per call, returned by NRVO) rather than moving headers through layers.
#include "packet/dissect.hpp"

#include <algorithm>

#include "packet/byte_io.hpp"
#include "packet/detail/encapsulation.hpp"
#include "packet/detail/ip_detail.hpp"
#include "packet/ipv4.hpp"
#include "packet/ipv6.hpp"

namespace tcplab::packet {

namespace {

// Error offsets from a layer parser are relative to that layer; callers see frame offsets.
ParseError at(ParseError e, std::size_t layer_offset) {
    e.offset += layer_offset;
    return e;
}

// Reads the fields dissect() needs straight from the header check_ipv4() passed (its 20 fixed
// bytes are there): an Ipv4Header filled first would read all of them, the addresses twice.
std::optional<ParseError> dissect_ipv4(std::span<const std::uint8_t> frame, Dissected& d) {
    const auto bytes = frame.subspan(d.ip_offset);
    const auto header_length = detail::check_ipv4(bytes);
    if (!header_length) return at(header_length.error(), d.ip_offset);
    const std::uint8_t* h = bytes.data();
    d.ip_version = 4;
    d.src.assign_v4(h + 12);  // see IpAddress::assign_v4
    d.dst.assign_v4(h + 16);
    d.protocol = h[9];
    d.transport_offset = d.ip_offset + *header_length;
    const std::size_t total_length = load_be16(h + 2);
    const std::size_t total = total_length != 0 ? total_length : bytes.size();  // 0: TSO
    d.transport_length = static_cast<std::uint32_t>(total - *header_length);
    const std::uint16_t flags_fragment = load_be16(h + 6);
    d.is_fragment = (flags_fragment & 0x3FFF) != 0;  // more fragments, or an offset
    d.is_first_fragment = (flags_fragment & 0x1FFF) == 0;
    return std::nullopt;
}

std::optional<ParseError> dissect_ipv6(std::span<const std::uint8_t> frame, Dissected& d) {
    Ipv6Chain chain;
    if (auto error = detail::parse_ipv6_into(frame.subspan(d.ip_offset), chain))
        return at(*error, d.ip_offset);
    d.ip_version = 6;
    d.src = chain.header.src;
    d.dst = chain.header.dst;
    d.protocol = chain.upper_protocol;
    d.transport_offset = d.ip_offset + chain.upper_offset;
    d.transport_length =
        static_cast<std::uint32_t>(40 + chain.header.payload_length - chain.upper_offset);
    d.is_fragment = chain.is_fragment;
    d.is_first_fragment = chain.is_first_fragment;
    return std::nullopt;
}

// Parses TCP at d.transport_offset when the IP layer says it is there and it is not a later
// fragment. The segment is bounded by the IP length (Ethernet padding is not payload) and by
// what was captured (snaplen).
std::optional<ParseError> dissect_tcp(std::span<const std::uint8_t> frame, Dissected& d) {
    if (d.protocol != kIpProtoTcp || !d.is_first_fragment) return std::nullopt;
    const std::size_t start = std::min(frame.size(), d.transport_offset);
    const auto segment =
        frame.subspan(start, std::min<std::size_t>(frame.size() - start, d.transport_length));
    if (auto error = detail::parse_tcp_into(segment, d.tcp)) return at(*error, d.transport_offset);
    d.is_tcp = true;
    const std::size_t header_length = d.tcp.header_length();
    d.tcp_payload_offset = d.transport_offset + header_length;
    d.tcp_payload_length = d.transport_length > header_length
                               ? static_cast<std::uint32_t>(d.transport_length - header_length)
                               : 0;
    d.captured_payload = static_cast<std::uint32_t>(segment.size() - header_length);
    return std::nullopt;
}

// How far dissect_layers() goes: the first IP header (the forwarder's and the path diff's view:
// the packet the path carries), or through the tunnels to the innermost (the analyzer's).
enum class Depth : bool { outermost, innermost };

// Walks from `layer` to the IP packet that carries the transport, one Ethernet or IP header per
// step, filling d with each IP header on the way (so the innermost one wins), then parses TCP.
// TCP is checked first: a plain TCP packet pays one comparison for the tunnels it does not have.
std::optional<ParseError> dissect_layers(std::span<const std::uint8_t> frame, detail::Layer layer,
                                         Depth depth_wanted, Dissected& d) {
    using Kind = detail::Layer::Kind;
    for (int depth = 1;; ++depth) {
        if (layer.kind == Kind::none) return std::nullopt;  // not IP: not an error
        if (depth > detail::kMaxLayers)
            return ParseError{ErrorCode::unsupported, layer.offset,
                              "tunnels nested deeper than the decode limit"};
        if (layer.kind == Kind::ethernet) {
            auto next = detail::after_ethernet(frame, layer.offset);
            if (!next) return next.error();
            layer = *next;
            continue;
        }
        if (d.ip_version != 0) ++d.tunnels;
        d.ip_offset = layer.offset;
        const auto error =
            layer.kind == Kind::ipv4 ? dissect_ipv4(frame, d) : dissect_ipv6(frame, d);
        if (error) return error;
        if (d.protocol == kIpProtoTcp || d.is_fragment || depth_wanted == Depth::outermost)
            return dissect_tcp(frame, d);
        auto next = detail::after_ip(frame, d.protocol, d.transport_offset);
        if (!next) return next.error();
        layer = *next;
    }
}

// The first layer after the link header: IP, or (innermost) whatever the Ethertype leads to.
Result<detail::Layer> first_layer(std::span<const std::uint8_t> frame, const LinkView& view,
                                  Depth depth_wanted) {
    using Kind = detail::Layer::Kind;
    if (view.ether_type == kEtherTypeIpv4) return detail::Layer{Kind::ipv4, view.network_offset};
    if (view.ether_type == kEtherTypeIpv6) return detail::Layer{Kind::ipv6, view.network_offset};
    if (depth_wanted == Depth::outermost) return detail::Layer{};
    return detail::after_ether_type(frame, view.ether_type, view.network_offset);
}

// Fills d, which may hold an earlier frame: what the layers below set only for a layer they
// reach starts over here.
std::optional<ParseError> dissect_into(LinkType link, std::span<const std::uint8_t> frame,
                                       Depth depth_wanted, Dissected& d) {
    d.ip_version = 0;
    d.tunnels = 0;
    d.is_fragment = false;
    d.is_first_fragment = true;
    d.is_tcp = false;
    auto view = parse_link(link, frame);
    if (!view) return view.error();
    auto first = first_layer(frame, *view, depth_wanted);
    if (!first) return first.error();
    return dissect_layers(frame, *first, depth_wanted, d);
}

Result<Dissected> dissect_to(LinkType link, std::span<const std::uint8_t> frame,
                             Depth depth_wanted) {
    Result<Dissected> result{std::in_place};
    if (auto error = dissect_into(link, frame, depth_wanted, result.value())) result = *error;
    return result;
}

}  // namespace

Result<Dissected> dissect(LinkType link, std::span<const std::uint8_t> frame) {
    return dissect_to(link, frame, Depth::outermost);
}

Result<Dissected> dissect_innermost(LinkType link, std::span<const std::uint8_t> frame) {
    return dissect_to(link, frame, Depth::innermost);
}

std::optional<ParseError> dissect_innermost_into(LinkType link, std::span<const std::uint8_t> frame,
                                                 Dissected& out) {
    return dissect_into(link, frame, Depth::innermost, out);
}

std::optional<std::size_t> transport_ip_offset(LinkType link, std::span<const std::uint8_t> frame) {
    auto view = parse_link(link, frame);
    if (!view) return std::nullopt;
    auto first = first_layer(frame, *view, Depth::innermost);
    if (!first || first->kind == detail::Layer::Kind::none) return std::nullopt;
    Dissected d;
    // Failed or not, d.ip_offset is the last IP header reached.
    (void)dissect_layers(frame, *first, Depth::innermost, d);
    if (d.ip_version == 0) return std::nullopt;
    return d.ip_offset;
}

Result<Dissected> dissect_ip(std::span<const std::uint8_t> packet) {
    Result<Dissected> result{std::in_place};
    const int version = packet.empty() ? 0 : packet[0] >> 4;
    if (packet.empty()) {
        result = ParseError{ErrorCode::truncated, 0, "IP packet is empty"};
    } else if (version != 4 && version != 6) {
        result = ParseError{ErrorCode::bad_version, 0, "IP version neither 4 nor 6"};
    } else {
        const detail::Layer layer{
            version == 4 ? detail::Layer::Kind::ipv4 : detail::Layer::Kind::ipv6, 0};
        if (auto error = dissect_layers(packet, layer, Depth::outermost, result.value()))
            result = *error;
    }
    return result;
}

}  // namespace tcplab::packet
