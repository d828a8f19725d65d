#include "analyzer/engine.hpp"

#include <algorithm>
#include <bit>

#include "analyzer/detail/truncated_tcp.hpp"
#include "analyzer/flags.hpp"
#include "packet/dissect.hpp"
#include "packet/ipv4.hpp"
#include "packet/tcp.hpp"

namespace tcplab::analyzer {

namespace {

namespace tf = packet::tcp_flag;

constexpr std::uint8_t kIpProtoIcmp = 1;
constexpr std::uint8_t kIpProtoIcmpv6 = 58;

bool is_pure_syn(std::uint16_t f) { return (f & (tf::kSyn | tf::kAck)) == tf::kSyn; }
bool is_synack(std::uint16_t f) { return (f & (tf::kSyn | tf::kAck)) == (tf::kSyn | tf::kAck); }
bool is_pure_ack(std::uint16_t f) { return (f & (tf::kSyn | tf::kAck)) == tf::kAck; }

// ICMP error types whose body quotes the offending IP packet (RFC 792 / RFC 4443).
bool is_icmp_error(std::uint8_t protocol, std::uint8_t type) {
    if (protocol == kIpProtoIcmp)
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    return type >= 1 && type <= 4;  // ICMPv6
}

// tshark's verify_tcp_window_scaling(), run after a SYN's options: a SYN without WS means no
// scaling either way; a SYN-ACK with WS answering a SYN without it does not turn scaling on.
void verify_window_scaling(FlowState& fwd, FlowState& rev, bool synack) {
    if (fwd.win_scale == -1) {
        fwd.win_scale = -2;
        rev.win_scale = -2;
    } else if (synack && rev.win_scale == -2) {
        fwd.win_scale = -2;
    }
}

// tcp.completeness, advanced per frame as tshark does (a new conversation only counts a SYN).
std::uint8_t next_completeness(std::uint8_t current, bool is_new, std::uint16_t f,
                               std::uint32_t seglen) {
    if (is_new) {
        if (!is_pure_syn(f)) return 0;
        return completeness::kSynSent | (seglen > 0 ? completeness::kData : 0);
    }
    if (is_synack(f)) current |= completeness::kSynAck;
    if (is_pure_ack(f)) current |= seglen > 0 ? completeness::kData : completeness::kAck;
    if ((f & (tf::kFin | tf::kAck)) == (tf::kFin | tf::kAck)) current |= completeness::kFin;
    if ((f & tf::kRst) != 0) current |= completeness::kRst;
    return current;
}

}  // namespace

Engine::Engine(packet::LinkType link, bool collect_summaries, FrameSink& sink,
               std::size_t max_events_per_stream, bool collect_plot)
    : link_(link),
      collect_(collect_summaries),
      max_events_(max_events_per_stream),
      collect_plot_(collect_plot),
      sink_(sink),
      table_(collect_summaries) {
    finalise_ = [this](const Conversation& c) { sink_.stream_finished(c); };
}

void Engine::note_error(const FrameRecord& record, const packet::ParseError& e) {
    const auto code = static_cast<std::size_t>(e.code);
    if (code < obs_.parse_errors.size()) ++obs_.parse_errors[code];
    if (obs_.first_error_frame == 0) {
        obs_.first_error_frame = record.number;
        obs_.first_error = e;
    }
}

void Engine::process(const FrameRecord& record) {
    if (++obs_.frames == 1) capture_start_ = record.time;
    if (const auto error = packet::dissect_innermost_into(link_, record.data, frame_)) {
        // A snaplen-truncated TCP header is still analysed, as tshark does.
        if (auto partial = dissect_truncated_tcp(link_, record.data)) {
            ++obs_.truncated_tcp_header;
            handle_tcp(record, *partial, false, /*header_captured=*/false);
            table_.expire_idle(record.time, finalise_);
            return;
        }
        note_error(record, *error);
        return;
    }
    const packet::Dissected& d = frame_;
    if (d.ip_version == 0) {
        ++obs_.not_ip;
        return;
    }
    if (d.is_fragment) {
        // tshark reassembles IP fragments and shows TCP only in the reassembled frame; we do not
        // reassemble, so a fragmented segment is counted and skipped.
        if (d.protocol == packet::kIpProtoTcp) ++obs_.fragments_skipped;
        return;
    }
    if (d.is_tcp) {
        if (d.tunnels != 0) ++obs_.tcp_in_tunnels;
        handle_tcp(record, d, false);
    } else if (d.protocol == kIpProtoIcmp || d.protocol == kIpProtoIcmpv6) {
        handle_icmp(record, d);
    } else {
        ++obs_.not_tcp;
    }
    table_.expire_idle(record.time, finalise_);
}

void Engine::handle_icmp(const FrameRecord& record, const packet::Dissected& d) {
    // type, code, checksum, 4 bytes unused/MTU, then the quoted IP packet.
    const std::size_t at = d.transport_offset;
    if (record.data.size() < at + 8 || !is_icmp_error(d.protocol, record.data[at])) {
        ++obs_.not_tcp;
        return;
    }
    auto inner = packet::dissect_ip(record.data.subspan(at + 8));
    if (!inner || !inner->is_tcp || inner->is_fragment) {
        ++obs_.not_tcp;
        return;
    }
    ++obs_.icmp_quoted_tcp;
    handle_tcp(record, inner.value(), true);
}

void Engine::handle_tcp(const FrameRecord& record, const packet::Dissected& d, bool quoted,
                        bool header_captured) {
    ++obs_.tcp_frames;
    const packet::TcpHeader& t = d.tcp;
    auto [conv, is_new] = table_.find_or_create(d.src, t.src_port, d.dst, t.dst_port, record.time);
    int dir = conv->direction(d.src, t.src_port);
    std::uint32_t preset = 0;

    // Port reuse (tshark dissect_tcp): a pure SYN with a different ISN starts a new stream and is
    // tcp.analysis.reused_ports; with the same ISN it stays, a plain re-sent SYN (nextseq is
    // restored, Wireshark issue 17616), and tshark does not call that reuse.
    if (is_pure_syn(t.flags) && conv->flow[dir].base_seq_set) {
        if (t.seq != conv->flow[dir].base_seq) {
            conv = table_.replace(d.src, t.src_port, d.dst, t.dst_port, record.time, finalise_);
            conv->completeness = completeness::kSynSent;
            dir = 0;
            preset |= flag::kReusedPorts;
        } else {
            conv->flow[dir].nextseq = conv->flow[dir].maxseqtobeacked;
        }
    }
    // A SYN-ACK with a new ISN re-bases that direction (Wireshark issue 16944).
    if (is_synack(t.flags) && conv->flow[dir].base_seq_set && t.seq != conv->flow[dir].base_seq) {
        conv->flow[dir].base_seq = t.seq;
        preset |= flag::kReusedPorts;
    }

    FlowState& fwd = conv->flow[dir];
    FlowState& rev = conv->flow[1 - dir];
    const bool have_seglen = !quoted && d.transport_length >= t.header_length();
    if (!have_seglen) {
        if (!quoted) ++obs_.short_tcp_header;
        sink_.tcp_frame(record.number, conv->stream, nullptr);
        return;
    }

    SegmentInput in;
    in.frame = record.number;
    in.time = record.time;
    in.seq = t.seq;
    in.ack = t.ack;
    in.seglen = d.tcp_payload_length;
    in.tcp_flags = t.flags;
    in.window = t.window;
    in.preset_flags = preset;
    const Verdict v = analyze_segment(fwd, rev, conv->timing, in);

    // Handshake bookkeeping after the analysis, as tshark orders it.
    bool completed_handshake = false;
    if ((t.flags & tf::kSyn) != 0) {
        if ((t.flags & tf::kAck) == 0) conv->timing.mru_syn = record.time;
        fwd.is_first_ack = true;
    }
    if (is_pure_ack(t.flags)) {
        if (conv->timing.mru_syn != 0 && conv->timing.first_rtt == 0) {
            conv->timing.first_rtt = record.time - conv->timing.mru_syn;
            completed_handshake = true;
        }
        fwd.is_first_ack = false;
    }
    if (t.options.window_scale) {
        fwd.win_scale = static_cast<std::int16_t>(std::min<int>(*t.options.window_scale, 14));
    }
    if ((t.flags & tf::kSyn) != 0) verify_window_scaling(fwd, rev, (t.flags & tf::kAck) != 0);
    conv->completeness = next_completeness(conv->completeness, is_new, t.flags, in.seglen);

    if (!header_captured) {
        // tshark updated its state above, but then hit the end of the captured bytes while
        // dissecting the options and never printed the analysis: no flags for this frame.
        sink_.tcp_frame(record.number, conv->stream, nullptr);
        return;
    }
    if (collect_ && conv->summary) {
        summarise(*conv, dir, record, d, v, completed_handshake);
    } else if (collect_ && obs_.frames_after_report++ == 0) {
        obs_.first_frame_after_report = record.number;
        obs_.first_stream_after_report = conv->stream;
    }
    sink_.tcp_frame(record.number, conv->stream, &v);
}

void Engine::summarise(Conversation& c, int dir, const FrameRecord& record,
                       const packet::Dissected& d, const Verdict& v, bool completed_handshake) {
    StreamSummary& s = *c.summary;
    const packet::TcpHeader& t = d.tcp;
    const FlowState& fwd = c.flow[dir];
    const FlowState& rev = c.flow[1 - dir];
    const std::uint32_t seglen = d.tcp_payload_length;
    if (s.first_frame == 0) {
        s.first_frame = record.number;
        s.first_time = record.time;
        s.relative_start = record.time - capture_start_;
    }
    s.last_frame = record.number;
    s.last_time = record.time;
    const Nanos rtt = count_frame(
        s.stats[dir], s.stats[1 - dir], record.wire_length, t.flags, t.seq, t.ack, seglen, t.window,
        (v.flags & flag::kZeroWindow) != 0, s.frames[1 - dir] != 0, record.time);
    if (collect_plot_) {
        PlotFrame p;
        p.time = record.time;
        p.rtt = rtt;
        p.rel_seq = (t.seq - fwd.base_seq.raw()).raw();
        p.has_ack = (t.flags & tf::kAck) != 0;
        p.rel_ack = p.has_ack ? (t.ack - rev.base_seq.raw()).raw() : 0;
        p.len = seglen + ((t.flags & tf::kSyn) != 0 ? 1 : 0) + ((t.flags & tf::kFin) != 0 ? 1 : 0);
        p.gap_seq = (v.expected - fwd.base_seq.raw()).raw();
        p.verdicts = v.flags;
        p.dir = static_cast<std::uint8_t>(dir);
        s.plot.push_back(p);
    }
    ++s.frames[dir];
    s.payload_bytes[dir] += seglen;

    const auto view = [&] {
        PacketView p;
        p.frame = record.number;
        p.time = record.time;
        p.dir = static_cast<std::uint8_t>(dir);
        p.tcp_flags = t.flags;
        p.raw_seq = t.seq.raw();
        p.raw_ack = t.ack.raw();
        p.rel_seq = (t.seq - fwd.base_seq.raw()).raw();
        p.rel_ack = (t.flags & tf::kAck) != 0 ? (t.ack - rev.base_seq.raw()).raw() : t.ack.raw();
        p.seglen = seglen;
        p.window = t.window;
        p.mss = t.options.mss;
        p.window_scale = t.options.window_scale;
        p.sack_permitted = t.options.sack_permitted;
        p.timestamps = t.options.timestamps;
        return p;
    };

    if (is_pure_syn(t.flags)) {
        ++s.syn_count;
        if (!s.syn) s.syn = view();
    } else if (is_synack(t.flags)) {
        ++s.synack_count;
        if (!s.synack) s.synack = view();
    }
    if (completed_handshake) {
        // tshark's iRTT ends at the first packet with ACK but not SYN, an RST,ACK refusing the
        // SYN included; that RST is the teardown, not the handshake's third packet.
        if ((t.flags & tf::kRst) == 0) s.ack = view();
        s.irtt = c.timing.first_rtt;
        s.irtt_frame = record.number;
    }
    const bool fin = (t.flags & tf::kFin) != 0;
    const bool rst = (t.flags & tf::kRst) != 0;
    const int other = 1 - dir;
    bool closing = false;
    if (fin) {
        if (s.first_fin_dir < 0) {
            s.first_fin_dir = dir;
            s.first_fin_frame = record.number;
        }
        s.fin_seen[dir] = true;
        s.fin_next_seq[dir] = (t.seq + seglen + 1).raw();
        closing = true;
    }
    if (rst) {
        s.rst_seen[dir] = true;
        closing = true;
    }
    if (s.fin_seen[other] && !s.fin_acked[other] && (t.flags & tf::kAck) != 0 &&
        t.ack.raw() == s.fin_next_seq[other]) {
        s.fin_acked[other] = true;
        closing = true;
    }
    if (s.fin_seen[other] && !s.fin_seen[dir] && seglen > 0) s.half_close = true;
    if (closing && s.closing.size() < kMaxClosingPackets) s.closing.push_back(view());

    if (v.flags != 0) {
        // Only the set bits (a frame has one or two): a loop over all of them was a fifth of
        // this function's time.
        for (std::uint32_t bits = v.flags; bits != 0; bits &= bits - 1) {
            const auto bit = static_cast<std::size_t>(std::countr_zero(bits));
            if (bit < s.counts.size()) ++s.counts[bit];
        }
        if (s.events.size() >= max_events_) {
            ++s.events_not_listed;
            return;
        }
        // Filled in place: an Event built on the stack and copied stalled on store forwarding.
        Event& event = s.events.emplace_back();
        EventPacket& e = event.packet;
        e.frame = record.number;
        e.dir = static_cast<std::uint8_t>(dir);
        e.tcp_flags = t.flags;
        e.rel_seq = (t.seq - fwd.base_seq.raw()).raw();
        e.rel_ack = (t.flags & tf::kAck) != 0 ? (t.ack - rev.base_seq.raw()).raw() : t.ack.raw();
        e.seglen = seglen;
        e.window = t.window;
        event.verdict = v;
    }
}

void Engine::advance_clock(Nanos now) { table_.sweep(now, finalise_); }

void Engine::finish() { table_.drain(finalise_); }

}  // namespace tcplab::analyzer
