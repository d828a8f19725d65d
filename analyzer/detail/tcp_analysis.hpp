#pragma once
// tshark's per-direction TCP sequence analysis (epan/dissectors/packet-tcp.c,
// tcp_analyze_sequence_number, Wireshark 4.0), restated as small named rules over plain state.
// Each quirk of the original is a named function so it can be tested and explained on its own.
// All sequence comparisons go through SeqNum (wrap-aware) except where tshark itself compares raw
// 32-bit values; those spots say so.
#include <cstdint>
#include <vector>

#include "packet/seq_num.hpp"

namespace tcplab::analyzer {

using packet::SeqNum;
using Nanos = std::int64_t;  // capture time, nanoseconds since the epoch

// tshark stops remembering unacked segments beyond this many per direction.
constexpr std::size_t kMaxUnackedSegments = 10000;
// Fast retransmission must follow the reverse direction's last ACK within this time.
constexpr Nanos kFastRetransmissionWindow = 20'000'000;
// Out-of-order threshold when the handshake RTT is unknown.
constexpr Nanos kDefaultOutOfOrderThreshold = 3'000'000;
// tshark's dupacknum is a guint32 set to -1 once an ACKed-unseen gap was reported: it marks the
// gap, counts as the first duplicate ACK, and (as 0xFFFFFFFF) as ">= 2 duplicate ACKs" for the
// fast-retransmission rule. Kept as that value on purpose.
constexpr std::uint32_t kAckedUnseenReported = 0xFFFFFFFFu;

struct UnackedSegment {
    SeqNum seq;
    SeqNum nextseq;
    std::uint64_t frame = 0;
    Nanos time = 0;
};

// One direction of a conversation (tshark's tcp_flow_t + tcp_analyze_seq_flow_info_t).
// Quirk kept on purpose: 0 means "unknown" for nextseq, lastack and maxseqtobeacked, so a real
// sequence number 0 is treated as unknown exactly as tshark does (see known()).
struct FlowState {
    bool base_seq_set = false;
    SeqNum base_seq;
    SeqNum nextseq;
    std::uint64_t nextseq_frame = 0;
    Nanos nextseq_time = 0;
    SeqNum lastack;
    Nanos lastack_time = 0;
    SeqNum maxseqtobeacked;
    std::uint32_t window = 0xFFFFFFFFu;  // raw 16-bit window; "never seen" is G_MAXUINT32
    std::int16_t win_scale = -1;         // -1 unknown, -2 no scaling in use, else the shift
    bool is_first_ack = false;           // set by a SYN, cleared by the next pure ACK
    std::uint32_t dupacknum = 0;         // or kAckedUnseenReported
    std::uint64_t lastnondupack = 0;
    std::uint32_t lastsegmentflags = 0;
    std::vector<UnackedSegment> unacked;  // insertion order: front() is the oldest
};

// The handshake timing shared by both directions.
struct ConversationTiming {
    Nanos mru_syn = 0;    // time of the most recent pure SYN (0: none)
    Nanos first_rtt = 0;  // iRTT: SYN -> first pure ACK (0: unknown)
};

// What the rules look at from one TCP header (absolute numbers, raw window).
struct SegmentInput {
    std::uint64_t frame = 0;
    Nanos time = 0;
    SeqNum seq;
    SeqNum ack;
    std::uint32_t seglen = 0;        // from the IP length, not from what was captured
    std::uint16_t tcp_flags = 0;     // packet::tcp_flag bits
    std::uint32_t window = 0;        // raw
    std::uint32_t preset_flags = 0;  // verdicts set before the analysis (port reuse)
};

// The outcome for one frame, plus the numbers the reports use to explain it.
struct Verdict {
    std::uint32_t flags = 0;  // analyzer::flag bits
    bool has_rto = false;     // tshark prints rto only when it is non-zero
    // Whether ooo_threshold was the iRTT (known when this frame was judged) or the 3 ms default:
    // the iRTT may become known later in the stream, so the reports cannot ask at the end.
    bool irtt_known = false;
    Nanos rto = 0;
    std::uint64_t rto_frame = 0;
    std::uint32_t dupack_num = 0;
    std::uint64_t dupack_frame = 0;
    // Context, captured before the state update.
    SeqNum expected;          // fwd.nextseq
    SeqNum rev_lastack;       // rev.lastack
    Nanos since_rev_ack = 0;  // now - rev.lastack_time (fast retransmission clock)
    Nanos since_nextseq = 0;  // now - fwd.nextseq_time (out-of-order clock)
    Nanos ooo_threshold = 0;
    std::uint32_t rev_dupacks = 0;
};

constexpr bool known(SeqNum s) { return s.raw() != 0; }

// The full per-frame analysis: classify, then update both directions' state.
Verdict analyze_segment(FlowState& fwd, FlowState& rev, const ConversationTiming& timing,
                        const SegmentInput& in);

// Individual rules (exposed for unit tests and for the reports' explanations).
bool is_zero_window_probe(const FlowState& fwd, const FlowState& rev, const SegmentInput& in);
bool is_zero_window(const SegmentInput& in);
bool is_lost_segment(const FlowState& fwd, const SegmentInput& in);
bool is_keep_alive(const FlowState& fwd, const SegmentInput& in);
bool is_window_update(const FlowState& fwd, const SegmentInput& in);
bool is_window_full(const FlowState& rev, const SegmentInput& in);
bool is_keep_alive_ack(const FlowState& fwd, const FlowState& rev, const SegmentInput& in);
bool is_zero_window_probe_ack(const FlowState& fwd, const FlowState& rev, const SegmentInput& in);
bool is_duplicate_ack(const FlowState& fwd, const SegmentInput& in);
// The window-scale shift tshark applies to rev's window in the window-full rule: none right after
// a SYN (until the first pure ACK, Wireshark issue 14690) and none when scaling is off.
int window_full_shift(const FlowState& rev);
// The out-of-order threshold: the handshake RTT if known, else 3 ms.
Nanos out_of_order_threshold(const ConversationTiming& timing);

}  // namespace tcplab::analyzer
