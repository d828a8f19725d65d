#include "analyzer/detail/render.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "analyzer/detail/output.hpp"
#include "analyzer/flags.hpp"
#include "packet/tcp.hpp"

namespace tcplab::analyzer {

using namespace std::string_view_literals;

namespace {

namespace tf = packet::tcp_flag;

std::string dir_arrow(const Conversation& c, int dir) {
    return endpoint_text(c, dir) + " -> " + endpoint_text(c, 1 - dir);
}

std::uint32_t rel(SeqNum s, const FlowState& f) { return (s - f.base_seq.raw()).raw(); }

std::string packet_line(const PacketView& p) {
    std::string s = "frame " + std::to_string(p.frame) + "  " + tcp_flags_hex(p.tcp_flags) +
                    "  seq " + std::to_string(p.rel_seq) + " (raw " + std::to_string(p.raw_seq) +
                    ")  ack " + std::to_string(p.rel_ack) + " (raw " + std::to_string(p.raw_ack) +
                    ")  len " + std::to_string(p.seglen) + "  win " + std::to_string(p.window);
    const std::string opts = options_text(p);
    if (!opts.empty()) s += "  " + opts;
    return s;
}

nlohmann::json packet_json(const Conversation& c, const PacketView& p) {
    nlohmann::json j;
    j["frame"] = p.frame;
    j["direction"] = p.dir == 0 ? "a->b" : "b->a";
    j["from"] = endpoint_text(c, p.dir);
    j["flags_hex"] = tcp_flags_hex(p.tcp_flags).substr(0, 5);
    j["flags"] = tcp_flag_names(p.tcp_flags);
    j["seq"] = p.rel_seq;
    j["ack"] = p.rel_ack;
    j["raw_seq"] = p.raw_seq;
    j["raw_ack"] = p.raw_ack;
    j["len"] = p.seglen;
    j["window"] = p.window;
    nlohmann::json o = nlohmann::json::object();
    if (p.mss) o["mss"] = *p.mss;
    if (p.sack_permitted) o["sack_perm"] = true;
    if (p.timestamps) {
        o["tsval"] = p.timestamps->value;
        o["tsecr"] = p.timestamps->echo_reply;
    }
    if (p.window_scale) {
        o["ws_shift"] = *p.window_scale;
        o["ws_multiplier"] = 1u << std::min<unsigned>(*p.window_scale, 14);
    }
    j["options"] = o;
    return j;
}

nlohmann::json seconds_json(Nanos n) { return nlohmann::json::parse(seconds6(n)); }

// tcptrace's throughput: unique bytes over the stream's duration (none for a zero duration).
std::optional<double> throughput(const StreamSummary& s, int dir) {
    const Nanos duration = s.last_time - s.first_time;
    if (duration <= 0) return std::nullopt;
    return static_cast<double>(s.stats[dir].unique_bytes) * 1e9 / static_cast<double>(duration);
}

}  // namespace

std::string tcp_flag_names(std::uint16_t flags) {
    static constexpr const char* kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK",
                                             "URG", "ECE", "CWR", "AE"};
    std::string s;
    for (int bit = 0; bit < 9; ++bit) {
        if ((flags & (1u << bit)) == 0) continue;
        if (!s.empty()) s += ", ";
        s += kNames[bit];
    }
    return s.empty() ? "<None>" : s;
}

std::string tcp_flags_hex(std::uint16_t flags) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%03x", flags & 0x1FFu);
    return std::string(buf) + " (" + tcp_flag_names(flags) + ")";
}

std::string options_text(const PacketView& p) {
    std::string s;
    const auto add = [&](const std::string& item) {
        if (!s.empty()) s += ' ';
        s += item;
    };
    if (p.mss) add("MSS=" + std::to_string(*p.mss));
    if (p.sack_permitted) add("SACK_PERM");
    if (p.timestamps) {
        add("TSval=" + std::to_string(p.timestamps->value) +
            " TSecr=" + std::to_string(p.timestamps->echo_reply));
    }
    if (p.window_scale) add("WS=" + std::to_string(1u << std::min<unsigned>(*p.window_scale, 14)));
    return s;
}

std::string endpoint_text(const Conversation& c, int dir) {
    const packet::IpAddress& a = c.addr[dir];
    const std::string host = a.is_v4() ? a.to_string() : "[" + a.to_string() + "]";
    return host + ":" + std::to_string(c.port[dir]);
}

namespace {

// Appenders for the event table: a bulk capture has hundreds of thousands of event lines, so they
// are written straight into the output instead of through temporary strings.
void put(std::string& out, std::uint64_t v) {
    char tmp[24];
    const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    out.append(tmp, r.ptr);
}

// Text built in a local buffer and appended to the output in pieces of up to kSize bytes:
// std::string's append is out of line (an extern template), and an event line took a dozen of
// them. The event table keeps one buffer for all its lines (one append per hundred lines).
class LineBuffer {
public:
    static constexpr std::size_t kSize = 16384;

    explicit LineBuffer(std::string& out) : out_(out) {}
    ~LineBuffer() { spill(); }
    LineBuffer(const LineBuffer&) = delete;
    LineBuffer& operator=(const LineBuffer&) = delete;

    // Inlined, so that the copy of a literal of known length is a few moves, not a memcpy call.
    [[gnu::always_inline]] LineBuffer& operator+=(std::string_view s) {
        if (s.size() > kSize - n_) [[unlikely]] {
            append_long(s);
            return *this;
        }
        std::memcpy(buf_ + n_, s.data(), s.size());
        n_ += s.size();
        return *this;
    }
    [[gnu::always_inline]] LineBuffer& operator+=(char c) {
        if (n_ == kSize) [[unlikely]]
            spill();
        buf_[n_++] = c;
        return *this;
    }
    void number(std::uint64_t v) {
        if (kSize - n_ < 20) [[unlikely]]
            spill();  // 20 digits hold any uint64
        char* const at = buf_ + n_;
        // Frame numbers, sequence numbers and counts fit 32 bits, whose conversion is cheaper.
        char* const end = v <= std::numeric_limits<std::uint32_t>::max()
                              ? std::to_chars(at, at + 20, static_cast<std::uint32_t>(v)).ptr
                              : std::to_chars(at, at + 20, v).ptr;
        n_ = static_cast<std::size_t>(end - buf_);
    }
    void seconds6(Nanos v) {
        if (kSize - n_ < kSeconds6Max) [[unlikely]]
            spill();
        n_ = static_cast<std::size_t>(format_seconds6(buf_ + n_, v) - buf_);
    }
    std::size_t room() const { return kSize - n_; }
    void spill() {
        out_.append(buf_, n_);
        n_ = 0;
    }

private:
    void append_long(std::string_view s) {
        spill();
        if (s.size() > kSize) {
            out_.append(s);
        } else {
            std::memcpy(buf_, s.data(), s.size());
            n_ = s.size();
        }
    }
    std::string& out_;
    char buf_[kSize];
    std::size_t n_ = 0;
};

void put(LineBuffer& out, std::uint64_t v) { out.number(v); }

// "%.3f ms" of n / 1e6, as printf rounds the double. Away from a tie (n ending in 500 ns) and
// below 2^50 ns, the double is too close to n / 1e6 for its rounding to differ from rounding n
// to whole microseconds, which is done in integers here (printf's float formatting was a tenth
// of report mode on a lossy capture).
void put_ms(LineBuffer& out, Nanos n) {
    constexpr Nanos kExact = Nanos{1} << 50;
    if (n % 1000 == 500 || n % 1000 == -500 || n >= kExact || n <= -kExact) {
        char buf[48];
        const int len = std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(n) / 1e6);
        out += std::string_view(buf, static_cast<std::size_t>(std::max(0, len)));
        return;
    }
    if (n < 0) out += '-';  // printf keeps the sign of a negative value that rounds to 0
    const std::uint64_t magnitude = static_cast<std::uint64_t>(n < 0 ? -n : n);
    const std::uint64_t micros = (magnitude + 500) / 1000;
    out.number(micros / 1000);
    const auto frac = static_cast<unsigned>(micros % 1000);
    const char digits[] = {'.',
                           static_cast<char>('0' + frac / 100),
                           static_cast<char>('0' + frac / 10 % 10),
                           static_cast<char>('0' + frac % 10),
                           ' ',
                           'm',
                           's'};
    out += std::string_view(digits, sizeof digits);
}

// One clause of an explanation; clauses are separated by "; ".
class Clauses {
public:
    explicit Clauses(LineBuffer& out) : out_(out) {}
    LineBuffer& next() {
        if (!first_) out_ += "; "sv;
        first_ = false;
        return out_;
    }

private:
    LineBuffer& out_;
    bool first_ = true;
};

}  // namespace

namespace {

LineBuffer& seq_clause(Clauses& why, const EventPacket& p) {
    LineBuffer& o = why.next();
    o += "seq "sv;
    put(o, p.rel_seq);
    return o;
}

// Why a segment below next expected is a plain retransmission or out-of-order (tshark's timing
// and duplicate-ACK tests, with the numbers it used).
void append_below_expected(LineBuffer& o, const Verdict& v, std::uint32_t expected) {
    const bool ooo = (v.flags & flag::kOutOfOrder) != 0;
    const char* thr = v.irtt_known ? "iRTT" : "3 ms default, iRTT unknown";
    o += " below next expected "sv;
    put(o, expected);
    o += ooo ? ", only "sv : ", "sv;
    put_ms(o, v.since_nextseq);
    o += ooo ? " after the highest segment (< "sv
             : " after the highest segment, not within the out-of-order threshold "sv;
    put_ms(o, v.ooo_threshold);
    o += ooo ? ", "sv : " ("sv;
    o += thr;
    o += ')';
    if (!ooo) {
        o += ", "sv;
        if (v.rev_dupacks == kAckedUnseenReported) {
            o += "no fast retransmission (it needs the ACK of unseen data or 2 duplicate ACKs "
                 "for this seq within 20 ms)";
        } else {
            put(o, v.rev_dupacks);
            o += " duplicate ACKs (fast retransmission needs 2 within 20 ms)"sv;
        }
    }
}

// The one re-send verdict a segment can have: fast, spurious, or retransmission/out-of-order.
void append_resend_reason(Clauses& why, const Conversation& c, const Event& e,
                          std::uint32_t expected) {
    const Verdict& v = e.verdict;
    const EventPacket& p = e.packet;
    if ((v.flags & flag::kFastRetransmission) != 0) {
        LineBuffer& o = seq_clause(why, p);
        if (v.rev_dupacks == kAckedUnseenReported) {
            o += " equals the ACK that acknowledged unseen data (tshark counts that as 2+ "
                 "duplicate ACKs), ";
        } else {
            o += " equals the ACK repeated by "sv;
            put(o, v.rev_dupacks);
            o += " duplicate ACKs, "sv;
        }
        put_ms(o, v.since_rev_ack);
        o += " after the last of them (< 20 ms)"sv;
    } else if ((v.flags & flag::kSpuriousRetransmission) != 0) {
        LineBuffer& o = seq_clause(why, p);
        o += '+';
        put(o, p.seglen);
        o += " was already acknowledged (other side ACKed "sv;
        put(o, rel(v.rev_lastack, c.flow[p.dir]));
        o += ')';
    } else if ((v.flags & (flag::kOutOfOrder | flag::kRetransmission)) != 0) {
        append_below_expected(seq_clause(why, p), v, expected);
    }
}

// Duplicate ACKs, gaps in the capture and keep-alives.
void append_ack_and_gap_reasons(Clauses& why, const Event& e, std::uint32_t expected) {
    const Verdict& v = e.verdict;
    const EventPacket& p = e.packet;
    if ((v.flags & flag::kDuplicateAck) != 0) {
        LineBuffer& o = why.next();
        o += "duplicate #"sv;
        put(o, v.dupack_num);
        o += " of the ACK in frame "sv;
        put(o, v.dupack_frame);
        o += " (no data, same seq/ack/window)"sv;
    }
    if ((v.flags & flag::kLostSegment) != 0) {
        LineBuffer& o = seq_clause(why, p);
        o += " above next expected "sv;
        put(o, expected);
        o += ": previous segment not captured"sv;
    }
    if ((v.flags & flag::kAckLostSegment) != 0) {
        LineBuffer& o = why.next();
        o += "ACK "sv;
        put(o, p.rel_ack);
        o += " covers data the other side was not seen sending"sv;
    }
    if ((v.flags & flag::kKeepAlive) != 0) {
        LineBuffer& o = seq_clause(why, p);
        o += " = next expected - 1 with "sv;
        put(o, p.seglen);
        o += " byte(s)"sv;
    }
    if ((v.flags & flag::kKeepAliveAck) != 0)
        why.next() += "repeats the last ACK right after a keep-alive"sv;
}

// Receive-window verdicts and port reuse.
void append_window_reasons(Clauses& why, const Event& e) {
    const Verdict& v = e.verdict;
    if ((v.flags & flag::kZeroWindow) != 0) why.next() += "advertises a zero receive window"sv;
    if ((v.flags & flag::kZeroWindowProbe) != 0) {
        why.next() += "1 byte at next expected while the other side's window is 0"sv;
    }
    if ((v.flags & flag::kZeroWindowProbeAck) != 0)
        why.next() += "answers a zero-window probe with window 0"sv;
    if ((v.flags & flag::kWindowUpdate) != 0) {
        LineBuffer& o = why.next();
        o += "no data, same seq/ack, window changed to "sv;
        put(o, e.packet.window);
    }
    if ((v.flags & flag::kWindowFull) != 0) {
        why.next() += "segment ends exactly at the other side's advertised window edge"sv;
    }
    if ((v.flags & flag::kReusedPorts) != 0)
        why.next() += "SYN with a new ISN on a known address/port pair"sv;
}

}  // namespace

void append_milliseconds3(std::string& out, Nanos nanos) {
    LineBuffer line(out);
    put_ms(line, nanos);
}

namespace {

void append_explanation_to(LineBuffer& out, const Conversation& c, const Event& e) {
    const std::uint32_t expected = rel(e.verdict.expected, c.flow[e.packet.dir]);
    Clauses why(out);
    append_resend_reason(why, c, e, expected);
    append_ack_and_gap_reasons(why, e, expected);
    append_window_reasons(why, e);
}

}  // namespace

void append_explanation(std::string& out, const Conversation& c, const Event& e) {
    LineBuffer line(out);
    append_explanation_to(line, c, e);
}

std::string explain(const Conversation& c, const Event& e) {
    std::string why;
    append_explanation(why, c, e);
    return why;
}

namespace {

void append_stream_header(std::string& out, const Conversation& c, const StreamSummary& s) {
    out += "stream " + std::to_string(c.stream) + "  " + endpoint_text(c, 0) + " <-> " +
           endpoint_text(c, 1) + "\n";
    out += "  frames " + std::to_string(s.first_frame) + ".." + std::to_string(s.last_frame) +
           ": " + std::to_string(s.frames[0]) + " a->b, " + std::to_string(s.frames[1]) +
           " b->a; payload " + std::to_string(s.payload_bytes[0]) + " / " +
           std::to_string(s.payload_bytes[1]) + " bytes; duration " +
           seconds6(s.last_time - s.first_time) + " s\n";
    out += "  bytes on the wire " + std::to_string(s.stats[0].wire_bytes) + " a->b, " +
           std::to_string(s.stats[1].wire_bytes) + " b->a; starts " + seconds6(s.relative_start) +
           " s into the capture\n";
}

// "  a->b: unique 600000 B, re-sent 51800 B, 22636384 B/s; RTT 34 samples ..."
void append_direction_text(std::string& out, const StreamSummary& s, int dir) {
    const DirectionStats& d = s.stats[dir];
    out += dir == 0 ? "  a->b: unique " : "  b->a: unique ";
    out += std::to_string(d.unique_bytes) + " B, re-sent " + std::to_string(d.retransmitted_bytes) +
           " B";
    if (const auto bps = throughput(s, dir)) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "%.0f", *bps);
        out += std::string(", throughput ") + buf + " B/s";
    }
    out += "; RTT "sv;
    if (d.rtt.samples == 0) {
        out += "no samples"sv;
    } else {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%llu samples, min %.3f avg %.3f max %.3f stddev %.3f ms",
                      static_cast<unsigned long long>(d.rtt.samples),
                      static_cast<double>(d.rtt.min) / 1e6, d.rtt.avg_seconds() * 1e3,
                      static_cast<double>(d.rtt.max) / 1e6, d.rtt.stddev_seconds() * 1e3);
        out += buf;
    }
    if (const Nanos zw = zero_window_total(d, s.last_time); zw != 0) {
        out += "; zero window " + seconds6(zw) + " s";
    }
    out += "\n"sv;
}

void append_handshake_text(std::string& out, const Conversation& c, const StreamSummary& s) {
    out += "  handshake:"sv;
    if (!s.syn && !s.synack) {
        out += " not captured\n"sv;
        return;
    }
    out += "\n"sv;
    const auto line = [&](const char* what, const std::optional<PacketView>& p) {
        out += std::string("    ") + what;
        if (!p) {
            out += "not captured\n"sv;
            return;
        }
        out += packet_line(*p) + "  (" + dir_arrow(c, p->dir) + ")\n";
    };
    line("SYN      ", s.syn);
    line("SYN-ACK  ", s.synack);
    line("ACK      ", s.ack);
    if (s.syn_count > 1 || s.synack_count > 1) {
        out += "    SYN sent " + std::to_string(s.syn_count) + " times, SYN-ACK " +
               std::to_string(s.synack_count) + " times\n";
    }
    out += "    iRTT " + (s.irtt != 0 ? seconds6(s.irtt) + " s" : std::string("unknown")) + "\n";
}

void append_teardown_text(std::string& out, const Conversation& c, const StreamSummary& s) {
    out += "  teardown:"sv;
    if (s.closing.empty()) {
        out += " none captured (stream still open at the end of the capture)\n"sv;
        return;
    }
    out += "\n"sv;
    if (s.first_fin_dir >= 0) {
        out += "    " + endpoint_text(c, s.first_fin_dir) + " sent FIN first (frame " +
               std::to_string(s.first_fin_frame) + ")\n";
    }
    for (const PacketView& p : s.closing) {
        std::string role;
        if ((p.tcp_flags & tf::kRst) != 0) {
            role = "RST";
        } else if ((p.tcp_flags & tf::kFin) != 0) {
            role = "FIN";
        } else {
            role = "ACK of FIN";
        }
        out += "    " + role + std::string(12 - std::min<std::size_t>(role.size(), 11), ' ') +
               packet_line(p) + "  (" + dir_arrow(c, p.dir) + ")\n";
    }
    if (s.half_close) out += "    half-close: data kept flowing after a FIN\n"sv;
}

void append_counts_text(std::string& out, const StreamSummary& s) {
    out += "  counts:"sv;
    bool any = false;
    for (std::size_t bit = 0; bit < s.counts.size(); ++bit) {
        if (s.counts[bit] == 0) continue;
        out += std::string(any ? ", " : " ") + std::string(verdict_name(1u << bit)) + " " +
               std::to_string(s.counts[bit]);
        any = true;
    }
    out += any ? "\n" : " no analysis events\n";
}

void append_event_line(LineBuffer& out, const Conversation& c, const Event& e,
                       std::string_view arrow) {
    const auto& p = e.packet;
    out += "    frame "sv;
    out.number(p.frame);
    out += "  "sv;
    out += arrow;
    out += "  "sv;
    append_verdict_names(out, e.verdict.flags);
    if ((p.tcp_flags & (tf::kSyn | tf::kFin | tf::kRst)) != 0) {
        out += " ("sv;
        out += tcp_flag_names(p.tcp_flags & (tf::kSyn | tf::kFin | tf::kRst | tf::kAck));
        out += ')';
    }
    if (e.verdict.has_rto) {
        out += ", RTO "sv;
        out.seconds6(e.verdict.rto);
        out += " s based on frame "sv;
        out.number(e.verdict.rto_frame);
    }
    out += ": "sv;
    append_explanation_to(out, c, e);
    out += '\n';
}

void append_events_text(Output& output, const Conversation& c, const StreamSummary& s) {
    std::string& out = output.buffer();
    if (!s.events.empty()) {
        out += "  events:\n"sv;
        const std::string arrow[2] = {dir_arrow(c, 0), dir_arrow(c, 1)};
        LineBuffer lines(out);
        for (const Event& e : s.events) {
            append_event_line(lines, c, e, arrow[e.packet.dir]);
            // A long event table is written in pieces, never regrown; a line is far below 4 KiB.
            if (lines.room() < 4096) {
                lines.spill();
                output.maybe_flush();
            }
        }
    }
    if (s.events_not_listed != 0) {
        out += "    ... "sv;
        put(out, s.events_not_listed);
        out += " more events not listed (the first "sv;
        put(out, s.events.size());
        out += " are, see --max-events-per-stream; counts above are complete)\n"sv;
    }
}

}  // namespace

void render_stream_text(const Conversation& c, Output& output) {
    const StreamSummary& s = *c.summary;
    append_stream_header(output.buffer(), c, s);
    append_direction_text(output.buffer(), s, 0);
    append_direction_text(output.buffer(), s, 1);
    append_handshake_text(output.buffer(), c, s);
    append_teardown_text(output.buffer(), c, s);
    append_counts_text(output.buffer(), s);
    append_events_text(output, c, s);
    output.buffer() += "\n";
}

namespace {

nlohmann::json optional_packet_json(const Conversation& c, const std::optional<PacketView>& p) {
    return p ? packet_json(c, *p) : nlohmann::json(nullptr);
}

nlohmann::json handshake_json(const Conversation& c, const StreamSummary& s) {
    nlohmann::json h;
    h["syn"] = optional_packet_json(c, s.syn);
    h["syn_ack"] = optional_packet_json(c, s.synack);
    h["ack"] = optional_packet_json(c, s.ack);
    h["syn_count"] = s.syn_count;
    h["syn_ack_count"] = s.synack_count;
    h["irtt"] = s.irtt != 0 ? seconds_json(s.irtt) : nlohmann::json(nullptr);
    return h;
}

nlohmann::json teardown_json(const Conversation& c, const StreamSummary& s) {
    nlohmann::json t;
    t["first_fin"] = s.first_fin_dir < 0 ? nlohmann::json(nullptr)
                                         : nlohmann::json(s.first_fin_dir == 0 ? "a" : "b");
    t["first_fin_frame"] =
        s.first_fin_dir < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.first_fin_frame);
    t["fin"] = {{"a", s.fin_seen[0]}, {"b", s.fin_seen[1]}};
    t["fin_acked"] = {{"a", s.fin_acked[0]}, {"b", s.fin_acked[1]}};
    t["rst"] = {{"a", s.rst_seen[0]}, {"b", s.rst_seen[1]}};
    t["half_close"] = s.half_close;
    nlohmann::json packets = nlohmann::json::array();
    for (const PacketView& p : s.closing) packets.push_back(packet_json(c, p));
    t["packets"] = packets;
    return t;
}

// Seconds as a JSON number, to the nanosecond.
nlohmann::json seconds_json(double seconds) { return std::round(seconds * 1e9) / 1e9; }

nlohmann::json rtt_json(const RttStats& r) {
    if (r.samples == 0) {
        return {{"samples", 0},
                {"min", nullptr},
                {"avg", nullptr},
                {"max", nullptr},
                {"stddev", nullptr}};
    }
    return {{"samples", r.samples},
            {"min", seconds_json(r.min)},
            {"avg", seconds_json(r.avg_seconds())},
            {"max", seconds_json(r.max)},
            {"stddev", seconds_json(r.stddev_seconds())}};
}

// A pair of per-direction figures: {"a_to_b": f(0), "b_to_a": f(1)}.
template <class F>
nlohmann::json each_way(F f) {
    return {{"a_to_b", f(0)}, {"b_to_a", f(1)}};
}

void add_statistics_json(nlohmann::json& j, const StreamSummary& s) {
    j["relative_start"] = seconds_json(s.relative_start);
    j["bytes"] = each_way([&](int d) { return s.stats[d].wire_bytes; });
    j["retransmitted_bytes"] = each_way([&](int d) { return s.stats[d].retransmitted_bytes; });
    j["unique_bytes"] = each_way([&](int d) { return s.stats[d].unique_bytes; });
    j["throughput"] = each_way([&](int d) {
        const auto bps = throughput(s, d);
        return bps ? nlohmann::json(std::round(*bps * 1000) / 1000) : nlohmann::json(nullptr);
    });
    j["rtt"] = each_way([&](int d) { return rtt_json(s.stats[d].rtt); });
    j["zero_window_time"] =
        each_way([&](int d) { return seconds_json(zero_window_total(s.stats[d], s.last_time)); });
}

nlohmann::json event_json(const Conversation& c, const Event& e) {
    nlohmann::json ev;
    ev["frame"] = e.packet.frame;
    ev["direction"] = e.packet.dir == 0 ? "a->b" : "b->a";
    nlohmann::json names = nlohmann::json::array();
    for (std::uint32_t bit = 1; bit <= flag::kReusedPorts; bit <<= 1) {
        if ((e.verdict.flags & bit) != 0) names.push_back(std::string(verdict_name(bit)));
    }
    ev["flags"] = names;
    ev["tcp_flags"] = tcp_flags_hex(e.packet.tcp_flags);
    ev["seq"] = e.packet.rel_seq;
    ev["ack"] = e.packet.rel_ack;
    ev["len"] = e.packet.seglen;
    ev["rto"] = e.verdict.has_rto ? seconds_json(e.verdict.rto) : nlohmann::json(nullptr);
    ev["rto_frame"] =
        e.verdict.has_rto ? nlohmann::json(e.verdict.rto_frame) : nlohmann::json(nullptr);
    if ((e.verdict.flags & flag::kDuplicateAck) != 0) {
        ev["dupack_num"] = e.verdict.dupack_num;
        ev["dupack_frame"] = e.verdict.dupack_frame;
    }
    ev["reason"] = explain(c, e);
    return ev;
}

}  // namespace

nlohmann::json render_stream_json(const Conversation& c) {
    const StreamSummary& s = *c.summary;
    nlohmann::json j;
    j["index"] = c.stream;
    // No SYN seen (capture started mid-stream): null, and json(nullptr), since a null const char*
    // throws std::logic_error.
    const nlohmann::json client =
        s.syn ? nlohmann::json(s.syn->dir == 0 ? "a" : "b") : nlohmann::json(nullptr);
    j["endpoints"] = {{"a", endpoint_text(c, 0)}, {"b", endpoint_text(c, 1)}, {"client", client}};
    j["first_frame"] = s.first_frame;
    j["last_frame"] = s.last_frame;
    j["duration"] = seconds_json(s.last_time - s.first_time);
    j["frames"] = {{"a_to_b", s.frames[0]}, {"b_to_a", s.frames[1]}};
    j["payload_bytes"] = {{"a_to_b", s.payload_bytes[0]}, {"b_to_a", s.payload_bytes[1]}};
    add_statistics_json(j, s);
    j["handshake"] = handshake_json(c, s);
    j["teardown"] = teardown_json(c, s);
    nlohmann::json counts = nlohmann::json::object();
    for (std::size_t bit = 0; bit < s.counts.size(); ++bit) {
        counts[std::string(verdict_name(1u << bit))] = s.counts[bit];
    }
    j["counts"] = counts;
    nlohmann::json events = nlohmann::json::array();
    for (const Event& e : s.events) events.push_back(event_json(c, e));
    j["events"] = events;
    j["events_not_listed"] = s.events_not_listed;
    return j;
}

}  // namespace tcplab::analyzer
