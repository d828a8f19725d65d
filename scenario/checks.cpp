#include "scenario/checks.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "analyzer/flags.hpp"
#include "packet/format.hpp"
#include "packet/seq_num.hpp"
#include "packet/tcp.hpp"
#include "scenario/detail/wire_checks.hpp"
#include "scenario/handshake_check.hpp"

namespace tcplab::scenario {

namespace {

using packet::SeqNum;
namespace tf = packet::tcp_flag;

std::string frame_list(const std::vector<std::uint64_t>& frames, std::size_t max = 8) {
    std::ostringstream out;
    for (std::size_t i = 0; i < frames.size() && i < max; ++i) {
        out << (i == 0 ? "" : ", ") << frames[i];
    }
    if (frames.size() > max) {
        out << ", ... (" << frames.size() << " in all)";
    }
    return out.str();
}

bool from_client(const FrameFacts& f, const CheckInputs& in) { return in.from_client(f); }

// Frames of `vantage` sent by the side that owns it (the client's own packets at the client...).
std::vector<const FrameFacts*> own_frames(const Vantage& vantage, bool client_side,
                                          const CheckInputs& in) {
    std::vector<const FrameFacts*> out;
    for (const auto& f : vantage.frames) {
        if (from_client(f, in) == client_side) {
            out.push_back(&f);
        }
    }
    return out;
}

// Ground truth, independent of the analyzer's rules: a frame re-sends if it carries sequence
// space (data, SYN or FIN) that this sender already sent on this stream. tshark's two exceptions
// are kept: a keep-alive (0/1 byte at next-1) and a segment of >1 byte starting at next-1.
std::set<std::uint64_t> true_resends(const std::vector<const FrameFacts*>& frames) {
    std::set<std::uint64_t> resends;
    std::map<std::uint32_t, SeqNum> next_by_stream;
    for (const FrameFacts* f : frames) {
        const bool syn = (f->tcp_flags & tf::kSyn) != 0;
        const bool fin = (f->tcp_flags & tf::kFin) != 0;
        const bool rst = (f->tcp_flags & tf::kRst) != 0;
        if (rst || (f->len == 0 && !syn && !fin)) {
            continue;
        }
        const SeqNum seq(f->seq);
        const SeqNum end = seq + f->len + (syn ? 1U : 0U) + (fin ? 1U : 0U);
        const auto it = next_by_stream.find(f->stream);
        if (it != next_by_stream.end()) {
            const SeqNum next = it->second;
            const bool keep_alive = f->len <= 1 && !syn && !fin && seq == next - 1;
            const bool counts_as_advanced = f->len > 1 && seq == next - 1;
            if (seq < next && !keep_alive && !counts_as_advanced) {
                resends.insert(f->frame);
            }
            if (end > next) {
                it->second = end;
            }
        } else {
            next_by_stream.emplace(f->stream, end);
        }
    }
    return resends;
}

Check resend_verdicts(const Vantage& vantage, bool client_side, const CheckInputs& in) {
    const auto frames = own_frames(vantage, client_side, in);
    const auto truth = true_resends(frames);
    std::vector<std::uint64_t> missed;
    std::vector<std::uint64_t> extra;
    std::size_t flagged = 0;
    for (const FrameFacts* f : frames) {
        const bool is_flagged = flagged_as_resend(f->verdicts);
        flagged += is_flagged ? 1 : 0;
        const bool is_resend = truth.count(f->frame) != 0;
        if (is_resend && !is_flagged) {
            missed.push_back(f->frame);
        } else if (!is_resend && is_flagged) {
            extra.push_back(f->frame);
        }
    }
    Check c;
    const std::string side = client_side ? "client" : "server";
    c.name = "resend_verdicts_" + side;
    c.expected =
        "each of the " + side + "'s " + std::to_string(truth.size()) +
        " re-sends flagged as a retransmission (or fast/spurious/out-of-order), no other frame";
    c.observed = std::to_string(flagged) + " flagged";
    c.pass = missed.empty() && extra.empty();
    if (!missed.empty()) {
        c.observed += "; not flagged: frames " + frame_list(missed);
    }
    if (!extra.empty()) {
        c.observed += "; flagged without a re-send: frames " + frame_list(extra);
    }
    c.reason = "ground truth at the " + side +
               "'s own capture: a frame re-sends when it carries sequence "
               "space the " +
               side + " already sent on that stream";
    return c;
}

std::size_t count_resends(const Vantage& v) {
    return static_cast<std::size_t>(
        std::count_if(v.frames.begin(), v.frames.end(),
                      [](const FrameFacts& f) { return flagged_as_resend(f.verdicts); }));
}

Check some_retransmissions(const CheckInputs& in) {
    Check c;
    c.name = "retransmissions";
    const std::size_t at_client = count_resends(*in.client);
    const std::size_t at_server = count_resends(*in.server);
    c.expected = "at least one";
    c.observed = std::to_string(at_client) + " at the client, " + std::to_string(at_server) +
                 " at the server";
    c.pass = at_client + at_server > 0;
    c.reason =
        "frames the analyzer flagged retransmission, fast/spurious retransmission or out-of-order";
    return c;
}

Check syn_rto(const CheckInputs& in, double expected_s) {
    Check c;
    c.name = "syn_retransmission_rto";
    c.expected = "a SYN retransmission with RTO within 25% of " +
                 std::to_string(expected_s).substr(0, 4) + " s";
    c.observed = "no SYN retransmission at the client";
    for (const auto& f : in.client->frames) {
        const bool pure_syn = (f.tcp_flags & (tf::kSyn | tf::kAck)) == tf::kSyn;
        if (pure_syn && flagged_as_resend(f.verdicts)) {
            char buf[128];
            std::snprintf(buf, sizeof buf,
                          "frame %llu: SYN retransmission, RTO %.6f s based on frame %llu",
                          static_cast<unsigned long long>(f.frame), f.rto,
                          static_cast<unsigned long long>(f.rto_frame));
            c.observed = buf;
            c.pass = f.rto >= expected_s * 0.75 && f.rto <= expected_s * 1.25;
            break;
        }
    }
    c.reason = "Linux retransmits an unanswered SYN after its initial RTO of 1 s (RFC 6298)";
    return c;
}

// The user's client: its exit code is its verdict on its own payload.
Check client_exit(const TrafficOutcome& t) {
    Check c;
    c.name = "client_exit";
    c.expected = "the client command exits with " +
                 std::to_string(t.json.value("expected_client_exit", 0)) +
                 " within client-timeout (after the server listened)";
    c.observed = t.detail;
    c.pass = t.completed;
    c.reason = "the client's own exit code (stdout and stderr in client.log)";
    return c;
}

// Connections the client side opened: streams with its pure SYN in its own capture.
std::size_t client_opened(const CheckInputs& in) {
    std::set<std::uint32_t> streams;
    for (const auto& f : in.client->frames) {
        if ((f.tcp_flags & (tf::kSyn | tf::kAck)) == tf::kSyn && from_client(f, in)) {
            streams.insert(f.stream);
        }
    }
    return streams.size();
}

// Handshakes completed as seen by the server: SYN, SYN-ACK, then the client's ACK of the SYN-ACK.
std::size_t completed_handshakes(const CheckInputs& in) {
    std::map<std::uint32_t, std::uint32_t> synack_seq;
    std::set<std::uint32_t> completed;
    for (const auto& f : in.server->frames) {
        const std::uint16_t syn_ack = f.tcp_flags & (tf::kSyn | tf::kAck);
        if (syn_ack == (tf::kSyn | tf::kAck) && !from_client(f, in)) {
            synack_seq[f.stream] = f.seq;
        } else if (syn_ack == tf::kAck && from_client(f, in)) {
            const auto it = synack_seq.find(f.stream);
            if (it != synack_seq.end() && f.ack == it->second + 1) {
                completed.insert(f.stream);
            }
        }
    }
    return completed.size();
}

}  // namespace

std::vector<Check> run_checks(const CheckInputs& in) {
    std::vector<Check> checks;
    const ScenarioSpec& spec = *in.spec;
    for (std::size_t i = 0; i < in.traffic.size(); ++i) {
        const auto& t = in.traffic[i];
        if (t.spec.kind == TrafficSpec::Kind::command) {
            checks.push_back(client_exit(t));
            continue;
        }
        Check c;
        c.name = "traffic_" + std::to_string(i + 1) + "_" + to_string(t.spec.kind);
        c.expected =
            spec.expect.handshake_fails ? "fails (the path blocks the handshake)" : "completes";
        c.observed =
            (t.completed ? "completed" : "failed") + (t.detail.empty() ? "" : ": " + t.detail);
        c.pass = t.completed != spec.expect.handshake_fails;
        c.reason = "as reported by the traffic's own endpoints";
        checks.push_back(c);
        if (t.integrity_checked) {
            Check p;
            p.name = "payload_integrity_" + std::to_string(i + 1);
            p.expected = "SHA-256 of the bytes received equals SHA-256 of the bytes sent";
            p.observed = t.integrity_ok ? "equal" : "different or not received";
            p.pass = t.integrity_ok;
            p.reason = "digest computed by each end";
            checks.push_back(p);
        }
    }
    {
        Check c;
        c.name = "handshakes_seen";
        const std::size_t n = completed_handshakes(in);
        // The user's programs open as many connections as they like: each one they opened must
        // complete; the built-in traffic opens exactly one per run.
        const std::size_t want = spec.expect.handshake_fails ? 0
                                 : spec.commands.empty()     ? in.traffic.size()
                                                             : client_opened(in);
        c.expected = std::to_string(want) + " completed 3-way handshakes at the server" +
                     (spec.commands.empty() ? "" : " (every connection the client side opened)");
        c.observed = std::to_string(n);
        c.pass = n == want;
        c.reason = "SYN, SYN-ACK and the ACK of the SYN-ACK in the server capture";
        checks.push_back(c);
    }
    checks.push_back(handshake_verdicts(in));
    checks.push_back(resend_verdicts(*in.client, true, in));
    checks.push_back(resend_verdicts(*in.server, false, in));
    checks.push_back(detail::drops_retransmitted(in));
    if (spec.expect.retransmissions == Expectations::Retransmissions::some) {
        checks.push_back(some_retransmissions(in));
    } else if (spec.expect.retransmissions == Expectations::Retransmissions::none) {
        checks.push_back(detail::unexplained_retransmissions(in));
    }
    if (spec.expect.syn_rto_s) {
        checks.push_back(syn_rto(in, *spec.expect.syn_rto_s));
    }
    if (spec.expect.out_of_order) {
        checks.push_back(detail::receiver_flags_path_faults(in, PathFault::Kind::reordered));
    }
    if (spec.expect.duplicate_ack) {
        checks.push_back(detail::receiver_flags_path_faults(in, PathFault::Kind::duplicated));
    }
    for (const Vantage* v : {in.client, in.server}) {
        Check c;
        c.name = v == in.client ? "client_capture_readable" : "server_capture_readable";
        c.expected = "read to the end without damage";
        c.observed = v->warning.empty() ? std::to_string(v->records) + " records" : v->warning;
        c.pass = v->warning.empty();
        checks.push_back(c);
    }
    return checks;
}

nlohmann::json to_json(const Check& check) {
    return {{"name", check.name},
            {"expected", check.expected},
            {"observed", check.observed},
            {"pass", check.pass},
            {"reason", check.reason}};
}

}  // namespace tcplab::scenario
