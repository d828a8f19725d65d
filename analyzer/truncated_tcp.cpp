#include "analyzer/detail/truncated_tcp.hpp"

#include "packet/byte_io.hpp"
#include "packet/dissect.hpp"
#include "packet/ipv4.hpp"
#include "packet/ipv6.hpp"
#include "packet/tcp.hpp"

namespace tcplab::analyzer {

namespace {

constexpr std::size_t kTcpFixedThroughWindow = 16;

bool fill_ip(std::span<const std::uint8_t> frame, std::size_t net, packet::Dissected& d) {
    const auto bytes = frame.subspan(net);
    if (bytes.empty()) return false;
    const int version = bytes[0] >> 4;
    if (version == 4) {
        auto h = packet::parse_ipv4(bytes);
        if (!h) return false;
        d.ip_version = 4;
        d.src = h->src;
        d.dst = h->dst;
        d.protocol = h->protocol;
        d.transport_offset = net + h->header_length();
        d.transport_length = static_cast<std::uint32_t>(
            h->total_length > h->header_length() ? h->total_length - h->header_length() : 0);
        d.is_fragment = h->is_fragment();
        d.is_first_fragment = h->fragment_offset == 0;
    } else if (version == 6) {
        auto c = packet::parse_ipv6(bytes);
        if (!c) return false;
        d.ip_version = 6;
        d.src = c->header.src;
        d.dst = c->header.dst;
        d.protocol = c->upper_protocol;
        d.transport_offset = net + c->upper_offset;
        const std::size_t total = 40 + std::size_t{c->header.payload_length};
        d.transport_length =
            static_cast<std::uint32_t>(total > c->upper_offset ? total - c->upper_offset : 0);
        d.is_fragment = c->is_fragment;
        d.is_first_fragment = c->is_first_fragment;
    } else {
        return false;
    }
    d.ip_offset = net;
    return true;
}

}  // namespace

std::uint32_t linktype_from_dlt(int dlt) {
    switch (dlt) {
        case 12:  // DLT_RAW (Linux and most)
        case 14:  // DLT_RAW (OpenBSD)
            return static_cast<std::uint32_t>(packet::LinkType::raw);
        default:
            return static_cast<std::uint32_t>(dlt);
    }
}

std::optional<packet::Dissected> dissect_truncated_tcp(packet::LinkType link,
                                                       std::span<const std::uint8_t> frame) {
    const auto ip_offset = packet::transport_ip_offset(link, frame);
    if (!ip_offset) return std::nullopt;
    packet::Dissected d;
    if (!fill_ip(frame, *ip_offset, d)) return std::nullopt;
    if (d.protocol != packet::kIpProtoTcp || !d.is_first_fragment) return std::nullopt;
    if (frame.size() < d.transport_offset + kTcpFixedThroughWindow) return std::nullopt;

    const auto tcp = frame.subspan(d.transport_offset);
    packet::ByteReader r(tcp);
    packet::TcpHeader& t = d.tcp;
    t.src_port = r.u16();
    t.dst_port = r.u16();
    t.seq = packet::SeqNum(r.u32());
    t.ack = packet::SeqNum(r.u32());
    const std::uint16_t offset_flags = r.u16();
    t.data_offset = static_cast<std::uint8_t>(offset_flags >> 12);
    t.flags = offset_flags & 0x1FF;
    t.window = r.u16();
    const std::size_t header_length = t.header_length();
    if (tcp.size() > 20 && header_length > 20) {
        const auto options = tcp.subspan(20, std::min(tcp.size(), header_length) - 20);
        if (auto parsed = packet::parse_tcp_options(options)) t.options = std::move(parsed.value());
    }
    d.is_tcp = true;
    d.tcp_payload_offset = d.transport_offset + header_length;
    d.tcp_payload_length = d.transport_length > header_length
                               ? static_cast<std::uint32_t>(d.transport_length - header_length)
                               : 0;
    d.captured_payload = 0;
    return d;
}

}  // namespace tcplab::analyzer
