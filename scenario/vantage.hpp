#pragma once
// One capture (a vantage point) read back for the checks: every TCP frame with its identity
// (4-tuple, flags, seq, ack, length) and the analyzer's verdict on it, in file order.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "packet/packet_record.hpp"

namespace tcplab::scenario {

// The packet as the ledger and the path diff name it, plus where, when and how it was seen.
struct FrameFacts : packet::PacketRecord {
    std::uint64_t frame = 0;     // 1-based record number
    double t = 0;                // seconds since the epoch
    std::uint32_t stream = 0;    // tcp.stream
    std::uint32_t verdicts = 0;  // analyzer::flag bits
    double rto = 0;              // seconds; 0 unless a retransmission with an RTO
    std::uint64_t rto_frame = 0;
};

struct Vantage {
    std::filesystem::path file;
    std::vector<FrameFacts> frames;  // TCP frames only
    std::uint64_t records = 0;
    std::string warning;  // damage found while reading (empty when clean)
};

Vantage read_vantage(const std::filesystem::path& pcap);

// Retransmission-like verdicts: what "the analyzer flagged a re-send" means at the sender.
bool flagged_as_resend(std::uint32_t verdicts);

}  // namespace tcplab::scenario
