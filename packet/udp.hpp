#pragma once
// Minimal UDP (RFC 768): enough to build flood packets and recognise UDP in captures.
#include <cstdint>
#include <span>

#include "packet/result.hpp"

namespace tcplab::packet {

struct UdpHeader {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint16_t length = 0;  // header + payload; computed when building
    std::uint16_t checksum = 0;
};

Result<UdpHeader> parse_udp(std::span<const std::uint8_t> bytes);

}  // namespace tcplab::packet
