#pragma once
// The per-direction statistics of a stream report: wire bytes, tcptrace's RTT samples (data ->
// the ACK that acknowledges exactly its last byte; Karn: never a segment that was sent twice),
// re-sent bytes, and time spent advertising a zero window. tcptrace (`tcptrace -l -r`) is the
// reference for the RTT, retransmitted and unique bytes; tshark's conversation table
// (`-z conv,tcp`) for frames and bytes.
#include <cstdint>
#include <optional>
#include <vector>

#include "analyzer/detail/tcp_analysis.hpp"
#include "analyzer/detail/vector_queue.hpp"

namespace tcplab::analyzer {

// Running RTT figures of one direction, with tcptrace's standard deviation (n - 1 in the
// denominator, and 0 for 2 samples or fewer).
struct RttStats {
    std::uint64_t samples = 0;
    Nanos min = 0;
    Nanos max = 0;
    double sum = 0;   // seconds
    double sum2 = 0;  // seconds squared
    void add(Nanos rtt);
    double avg_seconds() const;
    double stddev_seconds() const;
};

// One direction's sequence space as tcptrace's rexmit.c keeps it: what was sent (to count
// re-sent bytes) and the segments not yet acknowledged (to take RTT samples). SYN and FIN take
// one sequence number each, as in tcptrace. An ACK that ends exactly at a segment gives a sample
// unless that segment was sent twice (Karn) or a segment below it was (re)sent after it
// (tcptrace's "intervening transmissions"); an ACK inside a segment acknowledges it without a
// sample. Memory is bounded: at most kMaxUnackedSegments outstanding segments and as many holes
// in what was sent; past that the lowest are forgotten.
class SequenceSpace {
public:
    // A segment sent in this direction: returns how many of its bytes were sent before.
    std::uint64_t send(SeqNum seq, std::uint32_t len, Nanos time);
    // An ACK from the other direction: the RTT sample it gives, if any. Inline over a bool and a
    // plain out-value: an optional returned from out of line is built on the stack, its flag
    // stored as a byte and read back as a word, a store-forwarding stall on every ACK.
    std::optional<Nanos> ack(SeqNum ack, Nanos time) {
        Nanos sample = 0;
        if (!take_acked(ack, time, sample)) return std::nullopt;
        return sample;
    }

private:
    struct Outstanding {
        std::int64_t begin = 0;
        std::int64_t end = 0;  // one past the last sequence number
        Nanos time = 0;        // first transmission
        bool resent = false;
    };
    struct Sent {
        std::int64_t begin = 0;
        std::int64_t end = 0;
    };
    bool take_acked(SeqNum ack, Nanos time, Nanos& sample);
    void add_outstanding(std::int64_t begin, std::int64_t end, Nanos time);
    std::int64_t unwrap(SeqNum s) const { return last64_ + (s - last_); }
    std::uint64_t cover(std::int64_t begin, std::int64_t end, Nanos time);

    bool started_ = false;
    SeqNum last_;              // the last sequence number sent, and
    std::int64_t last64_ = 0;  // the same without wraps, relative to the first one sent
    // Both sorted by begin and disjoint; in-order data only appends to them (no allocation per
    // segment), and an ACK takes from the front.
    std::vector<Sent> sent_;                // merged: one entry per stretch between holes
    VectorQueue<Outstanding> outstanding_;  // not yet acknowledged
    Nanos latest_acked_send_ = 0;  // the latest (re)transmission among acknowledged segments
};

struct DirectionStats {
    std::uint64_t wire_bytes = 0;           // frame lengths on the wire (tshark's frame.len)
    std::uint64_t retransmitted_bytes = 0;  // payload (and SYN/FIN) bytes sent before
    std::uint64_t unique_bytes = 0;         // payload bytes sent for the first time
    std::uint32_t syns = 0;                 // SYNs and FINs sent (a repeated one is not unique)
    std::uint32_t fins = 0;
    std::uint32_t last_window =
        0;                         // raw window of the last frame (0 makes the peer's data a probe)
    RttStats rtt;                  // for data sent in this direction
    Nanos zero_window_time = 0;    // closed intervals of advertised zero window
    Nanos zero_window_since = -1;  // open interval's start (-1: window open)
    SequenceSpace space;
};

// One frame of a stream: its direction's figures, and the RTT sample its ACK gives the other
// side's data (returned for the RTT plot, 0 when none: a plain value, as a std::optional return
// cost a store-forwarding stall per frame). zero_window: tshark flagged it
// tcp.analysis.zero_window.
Nanos count_frame(DirectionStats& fwd, DirectionStats& rev, std::uint32_t wire_length,
                  std::uint16_t tcp_flags, SeqNum seq, SeqNum ack, std::uint32_t seglen,
                  std::uint32_t window, bool zero_window, bool rev_seen, Nanos time);
// The time spent advertising a zero window; one still open lasts until the stream's last frame.
Nanos zero_window_total(const DirectionStats& d, Nanos last_time);

}  // namespace tcplab::analyzer
