#pragma once
// dissect(): one captured frame -> link, IP and TCP views in a single bounds-checked pass.
// This is the analyzer's and the forwarder's per-packet entry point, so it does not allocate
// (unless the TCP header carries unknown options).
#include <cstdint>
#include <span>

#include "packet/ip_address.hpp"
#include "packet/link.hpp"
#include "packet/result.hpp"
#include "packet/tcp.hpp"

namespace tcplab::packet {

struct Dissected {
    IpAddress src;
    IpAddress dst;
    std::uint8_t ip_version = 0;       // 4 or 6
    std::uint8_t protocol = 0;         // upper-layer protocol (after IPv6 extension headers)
    std::size_t ip_offset = 0;         // offset of the IP header in the frame
    std::size_t transport_offset = 0;  // offset of the TCP/UDP header in the frame
    // Length of the upper-layer data per the IP header (total/payload length minus headers):
    // right even when the capture was cut by snaplen. This is what tshark's seglen is built on.
    std::uint32_t transport_length = 0;
    bool is_fragment = false;
    bool is_first_fragment = true;
    bool is_tcp = false;  // true when tcp below is valid
    TcpHeader tcp;
    std::uint32_t tcp_payload_length = 0;  // transport_length - tcp.header_length() (0 if negative)
    std::size_t tcp_payload_offset = 0;    // offset of the payload in the frame
    std::uint32_t captured_payload = 0;    // payload bytes actually present in the frame
};

// Errors come from the layer that failed (offsets are relative to the frame start). A non-TCP
// packet is not an error: is_tcp stays false. A non-first fragment is not parsed past IP.
Result<Dissected> dissect(LinkType link, std::span<const std::uint8_t> frame);
// Same, starting at an IP header (no link layer).
Result<Dissected> dissect_ip(std::span<const std::uint8_t> packet);

}  // namespace tcplab::packet
