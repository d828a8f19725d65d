#pragma once
// Internet checksum (RFC 1071) and the TCP/UDP pseudo-headers (RFC 9293 3.1, RFC 8200 8.1).
// The pseudo-header is explicit: the transport layer never reaches into an IP header object.
#include <cstdint>
#include <span>

#include "packet/ip_address.hpp"

namespace tcplab::packet {

// Running one's-complement sum; fold() gives the final 16-bit checksum.
class ChecksumAccumulator {
public:
    void add(std::span<const std::uint8_t> bytes);
    void add_u16(std::uint16_t v);
    void add_u32(std::uint32_t v);
    std::uint16_t fold() const;  // ~sum, host order

private:
    std::uint64_t sum_ = 0;
    bool odd_ = false;  // an odd byte is pending from the previous add()
};

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

struct PseudoHeader {
    IpAddress src;
    IpAddress dst;
    std::uint8_t protocol = 6;
    std::uint32_t upper_length = 0;  // TCP header + payload
};

// Checksum of a TCP/UDP segment (its checksum field must be zero, or it verifies to 0).
std::uint16_t transport_checksum(const PseudoHeader& pseudo, std::span<const std::uint8_t> segment);

}  // namespace tcplab::packet
