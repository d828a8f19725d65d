#pragma once
// Whole-packet builders: IP + TCP/UDP + payload with lengths and checksums filled in.
// The generator, the tests and the fuzz seeds build every packet through these.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "packet/checksum.hpp"
#include "packet/ipv4.hpp"
#include "packet/ipv6.hpp"
#include "packet/tcp.hpp"
#include "packet/udp.hpp"

namespace tcplab::packet {

struct IpParams {
    IpAddress src;
    IpAddress dst;
    std::uint8_t ttl = 64;             // hop limit for IPv6
    std::uint16_t identification = 0;  // IPv4 only
    bool dont_fragment = true;         // IPv4 only
    std::uint8_t tos = 0;              // TOS / traffic class
};

// Returns an IPv4 or IPv6 packet (family from params.src) carrying the TCP segment.
// tcp.data_offset is derived from tcp.option_list; checksum computed unless bad_checksum is set
// (then it is deliberately wrong by one, for tests).
std::vector<std::uint8_t> build_tcp_packet(const IpParams& ip, const TcpHeader& tcp,
                                           std::span<const std::uint8_t> payload,
                                           bool bad_checksum = false);
// An IPv4/IPv6 header for `protocol` in front of payload as given (a tunnel's outer packet).
std::vector<std::uint8_t> build_ip_packet(const IpParams& ip, std::uint8_t protocol,
                                          std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> build_udp_packet(const IpParams& ip, const UdpHeader& udp,
                                           std::span<const std::uint8_t> payload);
// Appends just the TCP header (+options) with the checksum computed over pseudo+payload
// (pseudo.upper_length is derived from the header and payload). With an empty option_list the
// typed options are encoded in Linux order, so a parsed header can be written back.
void write_tcp(const TcpHeader& tcp, const PseudoHeader& pseudo,
               std::span<const std::uint8_t> payload, std::vector<std::uint8_t>& out);

}  // namespace tcplab::packet
