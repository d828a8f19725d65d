#pragma once
// What the text/JSON reports say about one stream, collected while the frames go by (report mode
// only; the per-frame TSV does not pay for it). Fixed-size except the event list and teardown.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "analyzer/detail/chunked_list.hpp"
#include "analyzer/detail/stream_stats.hpp"
#include "analyzer/detail/tcp_analysis.hpp"
#include "packet/tcp.hpp"

namespace tcplab::analyzer {

// One packet as the lab looked at it in Wireshark: flags, raw and relative numbers, options.
struct PacketView {
    std::uint64_t frame = 0;
    Nanos time = 0;
    std::uint8_t dir = 0;  // 0: from endpoint a (the stream's first sender), 1: from b
    std::uint16_t tcp_flags = 0;
    std::uint32_t raw_seq = 0;
    std::uint32_t raw_ack = 0;
    std::uint32_t rel_seq = 0;
    std::uint32_t rel_ack = 0;  // raw when the ACK bit is clear (as tshark shows it)
    std::uint32_t seglen = 0;
    std::uint16_t window = 0;
    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> window_scale;
    bool sack_permitted = false;
    std::optional<packet::TcpTimestamps> timestamps;
};

// What an event line needs of its packet: a fifth of a PacketView (a bulk capture has tens of
// thousands of events, and copying them was a tenth of report mode's time).
struct EventPacket {
    std::uint64_t frame = 0;
    std::uint32_t rel_seq = 0;
    std::uint32_t rel_ack = 0;
    std::uint32_t seglen = 0;
    std::uint16_t tcp_flags = 0;
    std::uint16_t window = 0;
    std::uint8_t dir = 0;
};

struct Event {
    EventPacket packet;
    Verdict verdict;
};

// One frame as the plots draw it (only collected for --plot).
struct PlotFrame {
    Nanos time = 0;
    Nanos rtt = 0;               // the RTT sample this frame's ACK gave the other side's data
    std::uint32_t rel_seq = 0;   // tshark's relative numbers
    std::uint32_t rel_ack = 0;   // valid when has_ack
    std::uint32_t len = 0;       // payload, plus one each for SYN and FIN
    std::uint32_t gap_seq = 0;   // lost_segment: where the uncaptured data began
    std::uint32_t verdicts = 0;  // analyzer::flag bits
    std::uint8_t dir = 0;
    bool has_ack = false;
};

// How many events a stream's report lists in full by default (--max-events-per-stream). A lossy
// stream of a multi-GB capture has millions of events; past this many only the counts grow, so
// report mode runs in memory bounded by the number of open streams. 1000 events are ~130 kB.
constexpr std::size_t kDefaultMaxEventsPerStream = 1000;

// Flag counters in bit order of analyzer::flag (15 bits).
using FlagCounts = std::array<std::uint64_t, 15>;

struct StreamSummary {
    std::optional<PacketView> syn;     // the first pure SYN
    std::optional<PacketView> synack;  // the first SYN-ACK
    std::optional<PacketView> ack;     // the ACK that completed the handshake (never an RST)
    std::uint32_t syn_count = 0;
    std::uint32_t synack_count = 0;
    Nanos irtt = 0;  // 0: unknown
    // The frame that set the iRTT: tshark's first ACK-without-SYN after a SYN, which is `ack`,
    // or an RST,ACK refusing the connection (then `ack` stays empty). 0: none.
    std::uint64_t irtt_frame = 0;

    std::vector<PacketView> closing;  // FIN and RST frames, and the ACK of each FIN (capped)
    int first_fin_dir = -1;
    std::uint64_t first_fin_frame = 0;
    bool fin_seen[2] = {false, false};
    bool rst_seen[2] = {false, false};
    std::uint32_t fin_next_seq[2] = {0, 0};  // raw seq after each side's FIN
    bool fin_acked[2] = {false, false};
    bool half_close = false;  // data kept flowing towards a side after it sent its FIN

    std::uint64_t frames[2] = {0, 0};
    std::uint64_t payload_bytes[2] = {0, 0};
    std::uint64_t first_frame = 0;
    std::uint64_t last_frame = 0;
    Nanos first_time = 0;
    Nanos last_time = 0;
    Nanos relative_start = 0;   // first_time - the capture's first record (tshark's Rel Start)
    DirectionStats stats[2];    // bytes, RTT, re-sent and unique bytes, zero window: per direction
    FlagCounts counts{};        // every frame, listed or not: always complete
    ChunkedList<Event> events;  // the first frames with at least one verdict flag (capped)
    std::uint64_t events_not_listed = 0;  // frames with a verdict past the cap
    ChunkedList<PlotFrame> plot;          // every frame, with --plot only
};

constexpr std::size_t kMaxClosingPackets = 32;

}  // namespace tcplab::analyzer
