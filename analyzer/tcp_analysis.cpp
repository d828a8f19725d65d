// The rules of tcp_analysis.hpp, in tshark's order. Comments name the tshark behaviour each
// branch reproduces, including the odd ones (they are what makes the verdicts match).
#include "analyzer/detail/tcp_analysis.hpp"

#include <algorithm>

#include "analyzer/flags.hpp"
#include "packet/tcp.hpp"

namespace tcplab::analyzer {

namespace {

namespace tf = packet::tcp_flag;

constexpr bool has_any(std::uint16_t flags, std::uint16_t mask) { return (flags & mask) != 0; }
constexpr std::uint16_t kSynFinRst = tf::kSyn | tf::kFin | tf::kRst;

// First segment in a direction fixes its base (relative 0); the first ACK fixes the other's.
void set_base_sequences(FlowState& fwd, FlowState& rev, const SegmentInput& in) {
    if (!fwd.base_seq_set) {
        // Without a SYN, tshark assumes the segment starts at relative 1 (bug 1542).
        fwd.base_seq = has_any(in.tcp_flags, tf::kSyn) ? in.seq : in.seq - 1;
        fwd.base_seq_set = true;
    }
    if (!rev.base_seq_set && has_any(in.tcp_flags, tf::kAck)) {
        rev.base_seq = in.ack - 1;
        rev.base_seq_set = true;
    }
}

// "If the ack number changed we must reset the dupack counters."
void reset_dupacks_if_ack_moved(FlowState& fwd, const SegmentInput& in) {
    if (in.ack != fwd.lastack) {
        fwd.lastnondupack = in.frame;
        fwd.dupacknum = 0;
    }
}

// ACKed unseen segment: this ACK covers bytes the other direction never showed us (Wireshark
// 4.0.17's rule, read from its packet-tcp.c). When the other side has sent past its
// maxseqtobeacked since, that mark jumps to its nextseq and the frame is flagged. Otherwise the
// gap is the one already reported: only the first such ACK is flagged, and rev.dupacknum =
// kAckedUnseenReported marks that until the other side's ACK number moves (reset to 0) or it
// sends a duplicate ACK (the mark counts as the first, see count_duplicate_ack).
void check_ack_lost_segment(FlowState& rev, const SegmentInput& in, Verdict& v) {
    if (!known(rev.maxseqtobeacked) || !(in.ack > rev.maxseqtobeacked) ||
        !has_any(in.tcp_flags, tf::kAck)) {
        return;
    }
    if (rev.maxseqtobeacked < rev.nextseq) {
        rev.maxseqtobeacked = rev.nextseq;
        v.flags |= flag::kAckLostSegment;
        return;
    }
    if (rev.dupacknum == 0) v.flags |= flag::kAckLostSegment;
    rev.dupacknum = kAckedUnseenReported;
}

// The dup-ACK counter; the ACKed-unseen mark neutralises into the first duplicate.
std::uint32_t count_duplicate_ack(std::uint32_t dupacknum) {
    return dupacknum == kAckedUnseenReported ? 1 : dupacknum + 1;
}

// The retransmission family, for segments that carry data, SYN or FIN.
void classify_retransmission(const FlowState& fwd, const FlowState& rev, const SegmentInput& in,
                             Verdict& v) {
    if (in.seglen == 0 && !has_any(in.tcp_flags, tf::kSyn | tf::kFin)) return;
    if ((v.flags & flag::kKeepAlive) != 0) return;  // a keep-alive is never a retransmission

    bool not_advanced = known(fwd.nextseq) && in.seq < fwd.nextseq;
    // More than one byte starting at nextseq-1 adds new data (after a zero-window probe).
    if (in.seglen > 1 && fwd.nextseq - 1 == in.seq) not_advanced = false;

    // Spurious: everything in it was already ACKed by the other side.
    if (in.seglen > 0 && known(rev.lastack) && in.seq + in.seglen <= rev.lastack) {
        v.flags |= flag::kSpuriousRetransmission;
        return;
    }
    // Fast retransmission (takes precedence over out-of-order, tshark's default): >= 2 dup
    // ACKs for exactly this seq, and within 20 ms of the last of them. The ACKed-unseen mark
    // passes as >= 2 (an unsigned -1 in tshark).
    if (not_advanced && rev.dupacknum >= 2 && rev.lastack == in.seq &&
        v.since_rev_ack < kFastRetransmissionWindow) {
        v.flags |= flag::kFastRetransmission;
        return;
    }
    // Out-of-order: close in time to the segment that set nextseq, and not an exact re-send of
    // the segment that ends at nextseq.
    const std::uint32_t syn_fin = has_any(in.tcp_flags, tf::kSyn | tf::kFin) ? 1 : 0;
    if (not_advanced && v.since_nextseq < v.ooo_threshold &&
        fwd.nextseq != in.seq + in.seglen + syn_fin) {
        v.flags |= flag::kOutOfOrder;
        return;
    }
    if (!not_advanced) return;
    v.flags |= flag::kRetransmission;
    // RTO: from the oldest segment still unacked in this direction, else from the segment that
    // set nextseq. tshark shows it only when non-zero.
    if (!fwd.unacked.empty()) {
        v.rto = in.time - fwd.unacked.front().time;
        v.rto_frame = fwd.unacked.front().frame;
    } else {
        v.rto = in.time - fwd.nextseq_time;
        v.rto_frame = fwd.nextseq_frame;
    }
    v.has_rto = v.rto != 0;
}

void remember_segment(FlowState& fwd, const SegmentInput& in, const Verdict& v) {
    SeqNum nextseq = in.seq + in.seglen;
    if ((in.seglen > 0 || has_any(in.tcp_flags, tf::kSyn | tf::kFin)) &&
        fwd.unacked.size() < kMaxUnackedSegments) {
        // Quirk: the +1 for SYN/FIN is only applied when the segment is listed.
        if (has_any(in.tcp_flags, tf::kSyn | tf::kFin)) nextseq += 1;
        fwd.unacked.push_back({in.seq, nextseq, in.frame, in.time});
    }
    const bool probe = (v.flags & flag::kZeroWindowProbe) != 0;  // probes do not advance
    if ((nextseq > fwd.nextseq || !known(fwd.nextseq)) && !probe) {
        fwd.nextseq = nextseq;
        fwd.nextseq_frame = in.frame;
        fwd.nextseq_time = in.time;
    }
    if ((in.seq == fwd.maxseqtobeacked || !known(fwd.maxseqtobeacked)) && !probe) {
        fwd.maxseqtobeacked = fwd.nextseq;
    }
}

// Drops the reverse direction's segments this ACK covers (the ACK bit is not checked, as in
// tshark).
void remove_acked_segments(FlowState& rev, const SegmentInput& in) {
    auto& list = rev.unacked;
    const auto covered = [&](UnackedSegment& s) {
        if (in.ack == s.nextseq) return true;
        if (in.ack > s.seq && in.ack <= s.nextseq) {  // partly acked: trim, keep
            s.seq = in.ack;
            return false;
        }
        return !(s.nextseq > in.ack);
    };
    list.erase(std::remove_if(list.begin(), list.end(), covered), list.end());
}

}  // namespace

bool is_zero_window_probe(const FlowState& fwd, const FlowState& rev, const SegmentInput& in) {
    return in.seglen == 1 && in.seq == fwd.nextseq && rev.window == 0;
}

bool is_zero_window(const SegmentInput& in) {
    return in.window == 0 && !has_any(in.tcp_flags, kSynFinRst);
}

bool is_lost_segment(const FlowState& fwd, const SegmentInput& in) {
    return known(fwd.nextseq) && in.seq > fwd.nextseq && !has_any(in.tcp_flags, tf::kRst);
}

bool is_keep_alive(const FlowState& fwd, const SegmentInput& in) {
    return (in.seglen == 0 || in.seglen == 1) && in.seq == fwd.nextseq - 1 &&
           !has_any(in.tcp_flags, kSynFinRst);
}

bool is_window_update(const FlowState& fwd, const SegmentInput& in) {
    return in.seglen == 0 && in.window != 0 && in.window != fwd.window && in.seq == fwd.nextseq &&
           in.ack == fwd.lastack && !has_any(in.tcp_flags, kSynFinRst);
}

int window_full_shift(const FlowState& rev) {
    if (rev.is_first_ack || rev.win_scale == -2) return 0;
    return rev.win_scale;
}

bool is_window_full(const FlowState& rev, const SegmentInput& in) {
    if (in.seglen == 0 || rev.win_scale == -1 || has_any(in.tcp_flags, kSynFinRst)) return false;
    // 32-bit arithmetic as in tshark (the shifted window wraps like a guint32).
    const std::uint32_t edge = rev.window << window_full_shift(rev);
    return in.seq + in.seglen == rev.lastack + edge;
}

bool is_keep_alive_ack(const FlowState& fwd, const FlowState& rev, const SegmentInput& in) {
    return in.seglen == 0 && in.window != 0 && in.window == fwd.window && in.seq == fwd.nextseq &&
           in.ack == fwd.lastack && (rev.lastsegmentflags & flag::kKeepAlive) != 0 &&
           !has_any(in.tcp_flags, kSynFinRst);
}

bool is_zero_window_probe_ack(const FlowState& fwd, const FlowState& rev, const SegmentInput& in) {
    return in.seglen == 0 && in.window == 0 && in.window == fwd.window && in.seq == fwd.nextseq &&
           in.ack == fwd.lastack && (rev.lastsegmentflags & flag::kZeroWindowProbe) != 0 &&
           !has_any(in.tcp_flags, kSynFinRst);
}

bool is_duplicate_ack(const FlowState& fwd, const SegmentInput& in) {
    return in.seglen == 0 && in.window != 0 && in.window == fwd.window && in.seq == fwd.nextseq &&
           in.ack == fwd.lastack && !has_any(in.tcp_flags, kSynFinRst);
}

Nanos out_of_order_threshold(const ConversationTiming& timing) {
    return timing.first_rtt == 0 ? kDefaultOutOfOrderThreshold : timing.first_rtt;
}

Verdict analyze_segment(FlowState& fwd, FlowState& rev, const ConversationTiming& timing,
                        const SegmentInput& in) {
    Verdict v;
    v.flags = in.preset_flags;
    set_base_sequences(fwd, rev, in);
    v.expected = fwd.nextseq;
    v.rev_lastack = rev.lastack;
    v.since_rev_ack = in.time - rev.lastack_time;
    v.since_nextseq = in.time - fwd.nextseq_time;
    v.ooo_threshold = out_of_order_threshold(timing);
    v.irtt_known = timing.first_rtt != 0;
    v.rev_dupacks = rev.dupacknum;

    bool finished_fwd = false;
    if (is_zero_window_probe(fwd, rev, in)) {
        v.flags |= flag::kZeroWindowProbe;
        finished_fwd = true;
    }
    if (!finished_fwd) {
        if (is_zero_window(in)) v.flags |= flag::kZeroWindow;
        if (is_lost_segment(fwd, in)) v.flags |= flag::kLostSegment;
        if (is_keep_alive(fwd, in)) v.flags |= flag::kKeepAlive;
        if (is_window_update(fwd, in)) v.flags |= flag::kWindowUpdate;
        if (is_window_full(rev, in)) v.flags |= flag::kWindowFull;
        if (is_keep_alive_ack(fwd, rev, in)) {
            v.flags |= flag::kKeepAliveAck;
            finished_fwd = true;
        }
    }
    if (!finished_fwd && is_zero_window_probe_ack(fwd, rev, in)) {
        v.flags |= flag::kZeroWindowProbeAck;
        finished_fwd = true;
    }
    if (!finished_fwd && is_duplicate_ack(fwd, in)) {
        fwd.dupacknum = count_duplicate_ack(fwd.dupacknum);
        v.flags |= flag::kDuplicateAck;
        v.dupack_num = fwd.dupacknum;
        v.dupack_frame = fwd.lastnondupack;
    }
    reset_dupacks_if_ack_moved(fwd, in);
    check_ack_lost_segment(rev, in, v);
    classify_retransmission(fwd, rev, in, v);

    remember_segment(fwd, in, v);
    fwd.window = in.window;
    fwd.lastack = in.ack;
    fwd.lastack_time = in.time;
    fwd.lastsegmentflags = v.flags;
    remove_acked_segments(rev, in);
    return v;
}

}  // namespace tcplab::analyzer
