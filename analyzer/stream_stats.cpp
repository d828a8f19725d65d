#include "analyzer/detail/stream_stats.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "packet/tcp.hpp"

namespace tcplab::analyzer {

namespace tf = packet::tcp_flag;

void RttStats::add(Nanos rtt) {
    min = samples == 0 ? rtt : std::min(min, rtt);
    max = samples == 0 ? rtt : std::max(max, rtt);
    const double s = static_cast<double>(rtt) / 1e9;
    sum += s;
    sum2 += s * s;
    ++samples;
}

double RttStats::avg_seconds() const {
    return samples == 0 ? 0.0 : sum / static_cast<double>(samples);
}

double RttStats::stddev_seconds() const {
    // tcptrace's Stdev(): the sample standard deviation, and 0 for two samples or fewer.
    if (samples <= 2) return 0.0;
    const double n = static_cast<double>(samples);
    return std::sqrt(std::max(0.0, (sum2 - sum * sum / n) / (n - 1)));
}

void SequenceSpace::add_outstanding(std::int64_t begin, std::int64_t end, Nanos time) {
    const auto at =
        std::lower_bound(outstanding_.begin(), outstanding_.end(), begin,
                         [](const Outstanding& o, std::int64_t b) { return o.begin < b; });
    outstanding_.insert(at, Outstanding{begin, end, time, false});
    if (outstanding_.size() > kMaxUnackedSegments) outstanding_.pop_front();
}

std::uint64_t SequenceSpace::cover(std::int64_t begin, std::int64_t end, Nanos time) {
    // The common case first: new data at or above everything sent -- nothing re-sent, nothing
    // outstanding overlaps it, and what was sent grows at its top.
    if (sent_.empty() || begin >= sent_.back().end) {
        outstanding_.push_back(Outstanding{begin, end, time, false});
        if (outstanding_.size() > kMaxUnackedSegments) outstanding_.pop_front();
        if (!sent_.empty() && sent_.back().end == begin) {
            sent_.back().end = end;
        } else {
            sent_.push_back({begin, end});
            if (sent_.size() > kMaxUnackedSegments) sent_.erase(sent_.begin());
        }
        return 0;
    }
    // Segments already outstanding in [begin, end) were sent before: no sample from them. The
    // segment the re-send starts in takes its time (tcptrace's rtt_retrans), which keeps the
    // ACKs of segments sent after it from giving samples: an acknowledged one (then every later
    // sample is affected) or the first outstanding one.
    const bool starts_acked = outstanding_.empty() || begin < outstanding_.front().begin;
    auto seg = std::lower_bound(outstanding_.begin(), outstanding_.end(), begin,
                                [](const Outstanding& o, std::int64_t b) { return o.begin < b; });
    if (seg != outstanding_.begin() && std::prev(seg)->end > begin) --seg;
    for (bool first = true; seg != outstanding_.end() && seg->begin < end; ++seg, first = false) {
        seg->resent = true;
        if (first && !starts_acked) seg->time = time;
    }
    // What of [begin, end) was sent before; the gaps in it become new outstanding segments (as
    // they are found: outstanding_ is not what this loop walks, so no list of them is kept), and
    // the stretches it touches merge into one.
    std::uint64_t resent = 0;
    std::int64_t pos = begin;
    Sent merged{begin, end};
    auto s = std::upper_bound(sent_.begin(), sent_.end(), begin,
                              [](std::int64_t b, const Sent& x) { return b < x.begin; });
    if (s != sent_.begin() && std::prev(s)->end >= begin) --s;
    const auto first_touched = s;
    for (; s != sent_.end() && s->begin <= end; ++s) {
        if (s->begin > pos) add_outstanding(pos, std::min(s->begin, end), time);
        const std::int64_t overlap = std::min(end, s->end) - std::max(pos, s->begin);
        if (overlap > 0) resent += static_cast<std::uint64_t>(overlap);
        pos = std::max(pos, s->end);
        merged.begin = std::min(merged.begin, s->begin);
        merged.end = std::max(merged.end, s->end);
    }
    if (pos < end) add_outstanding(pos, end, time);
    sent_.insert(sent_.erase(first_touched, s), merged);
    if (sent_.size() > kMaxUnackedSegments) sent_.erase(sent_.begin());
    if (resent > 0 && starts_acked) latest_acked_send_ = time;
    return resent;
}

std::uint64_t SequenceSpace::send(SeqNum seq, std::uint32_t len, Nanos time) {
    if (len == 0) return 0;
    if (!started_) {
        started_ = true;
        last_ = seq;
        last64_ = 0;
    }
    const std::int64_t begin = unwrap(seq);
    const std::int64_t end = begin + len;
    if (end > last64_) {
        last64_ = end;
        last_ = seq + len;
    }
    return cover(begin, end, time);
}

// Drops the segments an ACK covers; true when it gives an RTT sample (in `sample`).
bool SequenceSpace::take_acked(SeqNum ack, Nanos time, Nanos& sample) {
    if (!started_) return false;
    const std::int64_t a = unwrap(ack);
    bool sampled = false;
    Nanos last_xmit = latest_acked_send_;
    while (!outstanding_.empty() && outstanding_.front().begin < a) {
        const Outstanding& o = outstanding_.front();
        last_xmit = std::max(last_xmit, o.time);
        if (o.end == a && !o.resent && last_xmit <= o.time) {
            sampled = true;
            sample = time - o.time;
        }
        latest_acked_send_ = last_xmit;
        outstanding_.pop_front();
    }
    return sampled;
}

Nanos count_frame(DirectionStats& fwd, DirectionStats& rev, std::uint32_t wire_length,
                  std::uint16_t tcp_flags, SeqNum seq, SeqNum ack, std::uint32_t seglen,
                  std::uint32_t window, bool zero_window, bool rev_seen, Nanos time) {
    fwd.wire_bytes += wire_length;
    const bool syn = (tcp_flags & tf::kSyn) != 0;
    const bool fin = (tcp_flags & tf::kFin) != 0;
    fwd.syns += syn ? 1 : 0;
    fwd.fins += fin ? 1 : 0;
    // tcptrace: data sent into a zero window is a probe, neither re-sent nor unique.
    const bool probe = rev_seen && rev.last_window == 0;
    if ((syn || fin || seglen > 0) && !probe) {
        const std::uint32_t len = seglen + (syn ? 1 : 0) + (fin ? 1 : 0);
        const std::uint64_t resent = fwd.space.send(seq, len, time);
        fwd.retransmitted_bytes += resent;
        // Unique bytes leave out the SYN and FIN, and a repeated SYN or FIN is not re-sent data.
        const std::int64_t repeated_flags =
            (syn && fwd.syns > 1 ? 1 : 0) + (fin && fwd.fins > 1 ? 1 : 0);
        const std::int64_t unique = static_cast<std::int64_t>(seglen) -
                                    (static_cast<std::int64_t>(resent) - repeated_flags);
        if (unique > 0) fwd.unique_bytes += static_cast<std::uint64_t>(unique);
    }
    Nanos rtt = 0;
    if ((tcp_flags & tf::kAck) != 0) {
        if (const auto sample = rev.space.ack(ack, time)) {
            rev.rtt.add(*sample);
            rtt = *sample;
        }
    }
    fwd.last_window = window;
    if (zero_window && fwd.zero_window_since < 0) {
        fwd.zero_window_since = time;
    } else if (window != 0 && fwd.zero_window_since >= 0) {
        fwd.zero_window_time += time - fwd.zero_window_since;
        fwd.zero_window_since = -1;
    }
    return rtt;
}

Nanos zero_window_total(const DirectionStats& d, Nanos last_time) {
    return d.zero_window_time + (d.zero_window_since < 0 ? 0 : last_time - d.zero_window_since);
}

}  // namespace tcplab::analyzer
