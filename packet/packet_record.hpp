#pragma once
// PacketRecord: what one IP packet is, in the terms the ground-truth tools share — the
// forwarder's ledger, the two-capture path diff and the scenario checks' view of a capture.
// Plain values in host byte order; TCP flags are packet::tcp_flag bits and sequence numbers are
// raw (absolute), as on the wire. Each tool composes its own record from this one (a ledger entry
// adds the action, a captured frame its number, time and the analyzer's verdicts).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "packet/dissect.hpp"
#include "packet/ip_address.hpp"
#include "packet/ipv4.hpp"
#include "packet/tcp.hpp"

namespace tcplab::packet {

struct PacketRecord {
    Endpoint src;  // port 0 when there is none (ICMP, a non-first UDP fragment)
    Endpoint dst;
    std::uint8_t protocol = 0;           // IP protocol number (after IPv6 extension headers)
    std::uint16_t tcp_flags = 0;         // tcp_flag bits; 0 unless TCP
    std::uint32_t seq = 0;               // TCP only
    std::uint32_t ack = 0;               // TCP only
    std::uint32_t len = 0;               // transport payload length (per the IP header)
    std::optional<std::uint16_t> ip_id;  // IPv4 only

    bool is_tcp() const { return protocol == kIpProtoTcp; }
    bool has_flag(std::uint16_t flag) const { return (tcp_flags & flag) != 0; }
    // Occupies TCP sequence space: payload, SYN or FIN.
    bool carries_sequence() const {
        return len > 0 || has_flag(tcp_flag::kSyn) || has_flag(tcp_flag::kFin);
    }
    // Only acknowledges: ACK set, no payload, no SYN, FIN or RST.
    bool is_pure_ack() const {
        return len == 0 && has_flag(tcp_flag::kAck) &&
               !has_flag(tcp_flag::kSyn | tcp_flag::kFin | tcp_flag::kRst);
    }
};

// The record of a dissected frame; nullopt unless it is IPv4 or IPv6.
std::optional<PacketRecord> record_of(const Dissected& d, std::span<const std::uint8_t> frame);
std::optional<PacketRecord> record_of(LinkType link, std::span<const std::uint8_t> frame);

// "tcp", "udp", "icmp", "icmpv6", else the number in decimal; protocol_from_name inverts it.
std::string protocol_name(std::uint8_t protocol);
std::optional<std::uint8_t> protocol_from_name(std::string_view name);

}  // namespace tcplab::packet
