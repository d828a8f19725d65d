#pragma once
// IPv4 header (RFC 791): plain value in host byte order; options kept raw.
#include <cstdint>
#include <span>
#include <vector>

#include "packet/ip_address.hpp"
#include "packet/result.hpp"

namespace tcplab::packet {

constexpr std::uint8_t kIpProtoTcp = 6;
constexpr std::uint8_t kIpProtoUdp = 17;

struct Ipv4Header {
    std::uint8_t dscp_ecn = 0;       // the old TOS byte
    std::uint16_t total_length = 0;  // 0 when building: filled in by write_ipv4
    std::uint16_t identification = 0;
    bool dont_fragment = true;
    bool more_fragments = false;
    std::uint16_t fragment_offset = 0;  // in 8-byte units
    std::uint8_t ttl = 64;
    std::uint8_t protocol = kIpProtoTcp;
    std::uint16_t checksum = 0;  // as read; write_ipv4 computes it
    IpAddress src = IpAddress::v4(0);
    IpAddress dst = IpAddress::v4(0);
    std::vector<std::uint8_t> options;  // raw, padded to 4 when written

    std::size_t header_length() const { return 20 + ((options.size() + 3) & ~std::size_t{3}); }
    bool is_fragment() const { return more_fragments || fragment_offset != 0; }
};

// Parses the header at the start of `bytes`. Errors: truncated, bad_version, bad_header_length,
// bad_total_length. Does not require the payload to be present (snaplen-truncated captures).
// total_length 0 is accepted (TSO capture; dissect() then uses the captured length).
Result<Ipv4Header> parse_ipv4(std::span<const std::uint8_t> bytes);
// Appends header (total_length = header + payload_length, checksum computed) to out.
void write_ipv4(const Ipv4Header& header, std::size_t payload_length,
                std::vector<std::uint8_t>& out);

}  // namespace tcplab::packet
