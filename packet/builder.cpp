// Whole-packet builders: lengths and checksums are derived, never supplied by the caller.
#include "packet/builder.hpp"

#include "base/errors.hpp"
#include "packet/byte_io.hpp"
#include "packet/checksum.hpp"

namespace tcplab::packet {

namespace {

// A parsed header keeps its options in the typed view only; re-encode them in Linux's layout
// so that parse -> write round-trips the values (byte layout may differ from the original).
std::vector<TcpOption> options_from_typed(const TcpOptions& typed) {
    std::vector<TcpOption> list =
        linux_syn_options(typed.mss, typed.sack_permitted, typed.timestamps, typed.window_scale);
    if (typed.sack_block_count > 0) {
        list.push_back(TcpOption::make_nop());
        list.push_back(TcpOption::make_nop());
        list.push_back(TcpOption::make_sack({typed.sack().begin(), typed.sack().end()}));
    }
    for (const auto& raw : typed.unknown) list.push_back(TcpOption::make_raw(raw.kind, raw.data));
    return list;
}

std::vector<std::uint8_t> tcp_option_bytes(const TcpHeader& tcp) {
    if (!tcp.option_list.empty()) return encode_tcp_options(tcp.option_list);
    return encode_tcp_options(options_from_typed(tcp.options));
}

void check_families(const IpParams& ip) {
    if (ip.src.family != ip.dst.family)
        throw UsageError("source " + ip.src.to_string() + " and destination " + ip.dst.to_string() +
                         " are not the same IP version");
}

// Appends the IPv4 or IPv6 header for an upper-layer segment of `upper_length` bytes.
void write_ip(const IpParams& ip, std::uint8_t protocol, std::size_t upper_length,
              std::vector<std::uint8_t>& out) {
    check_families(ip);
    if (ip.src.is_v4()) {
        if (upper_length > 0xFFFF - 20) throw UsageError("IPv4 packet longer than 65535 bytes");
        Ipv4Header h;
        h.dscp_ecn = ip.tos;
        h.identification = ip.identification;
        h.dont_fragment = ip.dont_fragment;
        h.ttl = ip.ttl;
        h.protocol = protocol;
        h.src = ip.src;
        h.dst = ip.dst;
        write_ipv4(h, upper_length, out);
    } else {
        if (upper_length > 0xFFFF) throw UsageError("IPv6 payload longer than 65535 bytes");
        Ipv6Header h;
        h.traffic_class = ip.tos;
        h.next_header = protocol;
        h.hop_limit = ip.ttl;
        h.src = ip.src;
        h.dst = ip.dst;
        write_ipv6(h, upper_length, out);
    }
}

}  // namespace

void write_tcp(const TcpHeader& tcp, const PseudoHeader& pseudo,
               std::span<const std::uint8_t> payload, std::vector<std::uint8_t>& out) {
    const auto options = tcp_option_bytes(tcp);
    const std::size_t header_length = 20 + options.size();
    const std::size_t start = out.size();
    ByteWriter w(out);
    w.u16(tcp.src_port);
    w.u16(tcp.dst_port);
    w.u32(tcp.seq.raw());
    w.u32(tcp.ack.raw());
    w.u16(static_cast<std::uint16_t>(((header_length / 4) << 12) | (tcp.flags & 0x0FFF)));
    w.u16(tcp.window);
    w.u16(0);  // checksum, patched below
    w.u16(tcp.urgent_pointer);
    w.bytes(options);
    PseudoHeader ph = pseudo;
    ph.upper_length = static_cast<std::uint32_t>(header_length + payload.size());
    ChecksumAccumulator acc;
    // Same sum as transport_checksum(ph, header ++ payload) without concatenating the two.
    const std::uint16_t header_sum = transport_checksum(ph, {out.data() + start, header_length});
    acc.add_u16(static_cast<std::uint16_t>(~header_sum));
    acc.add(payload);
    w.patch_u16(start + 16, acc.fold());
}

std::vector<std::uint8_t> build_tcp_packet(const IpParams& ip, const TcpHeader& tcp,
                                           std::span<const std::uint8_t> payload,
                                           bool bad_checksum) {
    const auto options = tcp_option_bytes(tcp);  // validates the options before anything is built
    const std::size_t tcp_length = 20 + options.size() + payload.size();
    std::vector<std::uint8_t> out;
    out.reserve((ip.src.is_v4() ? 20 : 40) + tcp_length);
    write_ip(ip, kIpProtoTcp, tcp_length, out);
    const std::size_t tcp_start = out.size();
    write_tcp(tcp, PseudoHeader{ip.src, ip.dst, kIpProtoTcp, 0}, payload, out);
    out.insert(out.end(), payload.begin(), payload.end());
    if (bad_checksum) {
        const std::uint16_t good =
            static_cast<std::uint16_t>((out[tcp_start + 16] << 8) | out[tcp_start + 17]);
        ByteWriter(out).patch_u16(tcp_start + 16, static_cast<std::uint16_t>(good + 1));
    }
    return out;
}

std::vector<std::uint8_t> build_ip_packet(const IpParams& ip, std::uint8_t protocol,
                                          std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> out;
    out.reserve((ip.src.is_v4() ? 20 : 40) + payload.size());
    write_ip(ip, protocol, payload.size(), out);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

std::vector<std::uint8_t> build_udp_packet(const IpParams& ip, const UdpHeader& udp,
                                           std::span<const std::uint8_t> payload) {
    const std::size_t udp_length = 8 + payload.size();
    std::vector<std::uint8_t> out;
    out.reserve((ip.src.is_v4() ? 20 : 40) + udp_length);
    write_ip(ip, kIpProtoUdp, udp_length, out);
    const std::size_t start = out.size();
    ByteWriter w(out);
    w.u16(udp.src_port);
    w.u16(udp.dst_port);
    w.u16(static_cast<std::uint16_t>(udp_length));
    w.u16(0);
    w.bytes(payload);
    std::uint16_t sum = transport_checksum(
        PseudoHeader{ip.src, ip.dst, kIpProtoUdp, static_cast<std::uint32_t>(udp_length)},
        {out.data() + start, udp_length});
    if (sum == 0) sum = 0xFFFF;  // RFC 768: a computed zero is sent as all ones (0 = no checksum)
    w.patch_u16(start + 6, sum);
    return out;
}

}  // namespace tcplab::packet
