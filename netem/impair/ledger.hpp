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
#include <string>
#include <vector>

#include "netem/impair/impairment.hpp"
#include "packet/packet_record.hpp"

namespace tcplab::netem {

struct LedgerEntry {
    double t = 0;
    Direction dir = Direction::client_to_server;
    packet::PacketRecord packet;
    std::string action;
    std::string reason;
    std::optional<double> delay_ms;
    std::optional<std::uint32_t> transmission;  // which copy of an identical packet (1 = first)

    // The receiver never gets the packet intact (a corrupted one fails its checksum there).
    bool loses_packet() const {
        return action == "drop" || action == "queue_drop" || action == "corrupt";
    }
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

// Reads a whole ledger: every line the forwarder writes, whatever the protocol (TCP, UDP, ICMP...).
// Throws UsageError naming the file and line on bad input.
std::vector<LedgerEntry> read_ledger(const std::filesystem::path& path);

}  // namespace tcplab::netem
