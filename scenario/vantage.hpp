#pragma once
// One capture (a vantage point) read back for the checks: every TCP frame with its identity
// (4-tuple, flags, seq, ack, length) and the analyzer's verdict on it, in file order.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
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

// The handshake options of a SYN or SYN-ACK, parsed from the frame's own bytes.
struct SynOptions {
    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> window_scale;
    bool sack_permitted = false;
    std::optional<packet::TcpTimestamps> timestamps;
    friend bool operator==(const SynOptions&, const SynOptions&) = default;
};

// The analyzer's summary of one tcp.stream, as its engine hands it over when the stream ends.
// Endpoint "a" sent the stream's first frame; the analyzer knows no client or server.
struct StreamFacts {
    std::uint32_t stream = 0;
    packet::Endpoint a;
    std::uint8_t completeness = 0;   // tshark's tcp.completeness bits
    double irtt = 0;                 // seconds; 0 when the analyzer has no iRTT
    std::uint64_t syn_frame = 0;     // the first pure SYN (0: none)
    std::uint64_t synack_frame = 0;  // the first SYN-ACK
    std::uint64_t ack_frame = 0;     // the frame that ended the handshake (set the iRTT)
    std::uint32_t syn_count = 0;
    std::uint32_t synack_count = 0;
    std::optional<SynOptions> syn_options;  // of syn_frame / synack_frame, as the analyzer saw them
    std::optional<SynOptions> synack_options;
    std::uint64_t first_fin_frame = 0;
    bool first_fin_by_a = false;
    bool rst_by_a = false;
    bool rst_by_b = false;
    // False when the analyzer kept no summary (a stream revived after it was finalised): then
    // only stream, a and completeness are known.
    bool summarised = false;
};

struct Vantage {
    std::filesystem::path file;
    std::vector<FrameFacts> frames;                   // TCP frames only
    std::vector<StreamFacts> streams;                 // in the order the analyzer finished them
    std::map<std::uint64_t, SynOptions> syn_options;  // of every frame with SYN set, by frame
    std::uint64_t records = 0;
    std::string warning;  // damage found while reading (empty when clean)
};

Vantage read_vantage(const std::filesystem::path& pcap);

// Retransmission-like verdicts: what "the analyzer flagged a re-send" means at the sender.
bool flagged_as_resend(std::uint32_t verdicts);

}  // namespace tcplab::scenario
