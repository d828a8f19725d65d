#pragma once
// SegmentChannel: one crafted TCP 4-tuple. Builds every outgoing segment with packet::
// build_tcp_packet, sends it through a raw socket, and returns incoming segments of the same
// 4-tuple (the reverse direction) from an AF_PACKET socket, skipping everything else.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "generator/detail/raw_socket.hpp"
#include "packet/dissect.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::gen {

struct ChannelConfig {
    packet::IpAddress src;
    std::uint16_t sport = 0;
    packet::Endpoint dst;
    std::uint8_t ttl = 64;
};

struct IncomingSegment {
    packet::Dissected packet;  // packet.tcp is the header
    std::vector<std::uint8_t> payload;
    std::chrono::steady_clock::time_point at;
};

class SegmentChannel {
public:
    // Opens the receive socket first, so no answer to the first segment can be missed.
    explicit SegmentChannel(const ChannelConfig& config);

    // Builds and sends one segment; ports come from the config. False when the kernel refused it
    // for a network reason (unreachable, queue full): the caller treats that as a loss.
    bool send(const packet::TcpHeader& tcp, std::span<const std::uint8_t> payload);
    std::string last_error() const { return sender_.last_error(); }
    // The header of the last segment as it went on the wire (ports, parsed options), for logs.
    const packet::TcpHeader& last_sent() const { return last_sent_; }
    // Next segment from dst to src:sport, or nullopt when `timeout` passes first.
    std::optional<IncomingSegment> receive(std::chrono::milliseconds timeout);

    const ChannelConfig& config() const { return config_; }

private:
    ChannelConfig config_;
    PacketReceiver receiver_;
    RawSender sender_;
    std::uint16_t ip_id_;
    packet::TcpHeader last_sent_;
};

// Throws UsageError when the two addresses are of different families.
void check_same_family(const packet::IpAddress& src, const packet::IpAddress& dst);

// A source port from Linux's default ephemeral range (32768-60999).
std::uint16_t random_port();
std::uint32_t random_u32();

}  // namespace tcplab::gen
