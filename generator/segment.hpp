#pragma once
// One crafted segment into an existing (or imagined) 4-tuple: `tcplab gen data|fin|rst`. Every
// header field is the caller's; nothing is tracked, nothing waited for.
#include <cstdint>
#include <string>
#include <vector>

#include "packet/ip_address.hpp"
#include "packet/tcp.hpp"

namespace tcplab::gen {

struct SegmentOptions {
    packet::IpAddress src;
    std::uint16_t sport = 0;
    packet::Endpoint dst;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t flags = 0;  // tcp_flag bits
    std::uint16_t window = 64240;
    std::uint16_t urgent_pointer = 0;
    std::vector<packet::TcpOption> options;  // in wire order (max 40 bytes encoded)
    std::vector<std::uint8_t> payload;
    std::uint8_t ttl = 64;
    bool bad_checksum = false;  // deliberately wrong TCP checksum
};

struct SegmentSent {
    std::vector<std::uint8_t> packet;  // the IP packet as sent
    std::string line;                  // info line with raw seq/ack
};

// The packet the options describe (no socket needed; also used by tests).
std::vector<std::uint8_t> build_segment(const SegmentOptions& options);
// Builds and sends it. Throws EnvironmentError without CAP_NET_RAW, SystemError when the kernel
// refuses to send it.
SegmentSent send_segment(const SegmentOptions& options);

}  // namespace tcplab::gen
