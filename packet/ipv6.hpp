#pragma once
// IPv6 header (RFC 8200) with the extension-header walk: hop-by-hop, routing, fragment,
// destination options are skipped to find the upper-layer protocol.
#include <cstdint>
#include <span>
#include <vector>

#include "packet/ip_address.hpp"
#include "packet/result.hpp"

namespace tcplab::packet {

struct Ipv6Header {
    std::uint8_t traffic_class = 0;
    std::uint32_t flow_label = 0;
    std::uint16_t payload_length = 0;  // 0 when building: filled in by write_ipv6
    std::uint8_t next_header = 6;      // first next-header field (may be an extension)
    std::uint8_t hop_limit = 64;
    IpAddress src = IpAddress::v6_bytes(kZero16);
    IpAddress dst = IpAddress::v6_bytes(kZero16);

    static constexpr std::uint8_t kZero16[16] = {};
};

// The result of walking the extension headers after the fixed 40 bytes.
struct Ipv6Chain {
    Ipv6Header header;
    std::uint8_t upper_protocol = 0;  // e.g. 6 for TCP
    std::size_t upper_offset = 0;     // offset of the upper-layer header from the IPv6 header
    bool is_fragment = false;         // a fragment header other than an atomic one was present
    bool is_first_fragment = true;    // fragment offset == 0
};

// Errors: truncated, bad_version, bad_header_length (extension chain past the end).
Result<Ipv6Chain> parse_ipv6(std::span<const std::uint8_t> bytes);
void write_ipv6(const Ipv6Header& header, std::size_t payload_length,
                std::vector<std::uint8_t>& out);

}  // namespace tcplab::packet
