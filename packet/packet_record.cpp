#include "packet/packet_record.hpp"

#include <charconv>

#include "packet/byte_io.hpp"

namespace tcplab::packet {

namespace {

constexpr std::uint8_t kIpProtoIcmp = 1;
constexpr std::uint8_t kIpProtoIcmpv6 = 58;
constexpr std::size_t kUdpHeaderLength = 8;

}  // namespace

std::optional<PacketRecord> record_of(const Dissected& d, std::span<const std::uint8_t> frame) {
    if (d.ip_version != 4 && d.ip_version != 6) {
        return std::nullopt;
    }
    PacketRecord r;
    r.src.address = d.src;
    r.dst.address = d.dst;
    r.protocol = d.protocol;
    r.len = d.transport_length;
    if (d.ip_version == 4 && frame.size() >= d.ip_offset + 6) {
        r.ip_id = load_be16(&frame[d.ip_offset + 4]);
    }
    if (d.is_tcp) {
        r.src.port = d.tcp.src_port;
        r.dst.port = d.tcp.dst_port;
        r.tcp_flags = d.tcp.flags;
        r.seq = d.tcp.seq.raw();
        r.ack = d.tcp.ack.raw();
        r.len = d.tcp_payload_length;
    } else if (d.protocol == kIpProtoUdp && d.is_first_fragment &&
               frame.size() >= d.transport_offset + kUdpHeaderLength) {
        r.src.port = load_be16(&frame[d.transport_offset]);
        r.dst.port = load_be16(&frame[d.transport_offset + 2]);
        r.len = d.transport_length >= kUdpHeaderLength ? d.transport_length - kUdpHeaderLength : 0;
    }
    return r;
}

std::optional<PacketRecord> record_of(LinkType link, std::span<const std::uint8_t> frame) {
    const auto d = dissect(link, frame);
    if (!d) {
        return std::nullopt;
    }
    return record_of(*d, frame);
}

std::string protocol_name(std::uint8_t protocol) {
    switch (protocol) {
        case kIpProtoTcp:
            return "tcp";
        case kIpProtoUdp:
            return "udp";
        case kIpProtoIcmp:
            return "icmp";
        case kIpProtoIcmpv6:
            return "icmpv6";
        default:
            return std::to_string(protocol);
    }
}

std::optional<std::uint8_t> protocol_from_name(std::string_view name) {
    for (const std::uint8_t p : {kIpProtoTcp, kIpProtoUdp, kIpProtoIcmp, kIpProtoIcmpv6}) {
        if (name == protocol_name(p)) {
            return p;
        }
    }
    std::uint8_t number = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), number);
    if (error != std::errc() || end != name.data() + name.size() || name.empty()) {
        return std::nullopt;
    }
    return number;
}

}  // namespace tcplab::packet
