#pragma once
// The userspace backend's ledger: one JSON line per action it took on a packet — the exact
// ground truth of what the path did. Fields (docs/CLI.md "Scenario output"):
//   {"t": 1.234567, "dir": "c2s", "src": "198.18.7.2", "dst": "198.19.7.2", "sport": 40000,
//    "dport": 5201, "proto": "tcp", "flags": "PSH, ACK", "seq": 123, "ack": 456, "len": 1448,
//    "ip_id": 4711, "action": "drop", "reason": "random loss 10%"}
// `t` is seconds since the forwarder started; seq/ack are absolute (raw); `len` is the TCP (or
// UDP) payload length; `flags` uses Wireshark's names ("" for non-TCP). Actions: drop,
// queue_drop (the rate queue or the egress overflowed — never injected loss), delay, duplicate,
// corrupt, reorder. A "delay" line also carries "delay_ms"; lines the fault decider caused carry
// "transmission": 1 for the first copy of that packet, 2 for its first identical re-send, ...
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netem/impair/impairment.hpp"

namespace tcplab::netem {

// What one frame is, in the ledger's (and the path diff's) terms.
struct PacketSummary {
    std::string src;
    std::string dst;
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::string proto;  // "tcp", "udp", "icmp", "icmpv6" or the protocol number
    std::uint16_t tcp_flags = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint32_t len = 0;               // transport payload length (per the IP header)
    std::optional<std::uint16_t> ip_id;  // IPv4 only
};

// Summarises an Ethernet frame; nullopt when it is not IPv4/IPv6 or does not parse.
std::optional<PacketSummary> summarize_ethernet_frame(std::span<const std::uint8_t> frame);

struct LedgerEntry {
    double t = 0;
    Direction dir = Direction::client_to_server;
    PacketSummary packet;
    std::string action;
    std::string reason;
    std::optional<double> delay_ms;
    std::optional<std::uint32_t> transmission;  // which copy of an identical packet (1 = first)
};

nlohmann::json to_json(const LedgerEntry& entry);
// Throws UsageError naming the missing/mistyped field.
LedgerEntry ledger_entry_from_json(const nlohmann::json& j);

// Appends JSON lines to a file; the file is created (truncated) on construction.
class LedgerWriter {
public:
    // Throws SystemError when the file cannot be created.
    explicit LedgerWriter(const std::filesystem::path& path);
    void write(const LedgerEntry& entry);
    void flush();
    std::uint64_t lines() const { return lines_; }

private:
    std::filesystem::path path_;
    std::ofstream out_;
    std::uint64_t lines_ = 0;
};

// Reads a whole ledger; throws UsageError naming the file and line on bad input.
std::vector<LedgerEntry> read_ledger(const std::filesystem::path& path);

}  // namespace tcplab::netem
