#include "scenario/checks.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "analyzer/flags.hpp"
#include "packet/format.hpp"
#include "packet/seq_num.hpp"
#include "packet/tcp.hpp"

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

bool from_client(const FrameFacts& f, const CheckInputs& in) {
    return f.src.address == in.client_address;
}

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

// The sender's re-send covering a dropped segment: same 4-tuple, later, covering its first byte.
const FrameFacts* find_resend_of(const packet::PacketRecord& fault, const Vantage& sender) {
    const FrameFacts* original = nullptr;
    for (const auto& f : sender.frames) {
        if (!(f.src == fault.src && f.dst == fault.dst)) {
            continue;
        }
        const bool syn_or_fin = (f.tcp_flags & (tf::kSyn | tf::kFin)) != 0;
        const std::uint32_t span = f.len + (syn_or_fin ? 1 : 0);
        const bool covers = span > 0 && SeqNum(fault.seq) >= SeqNum(f.seq) &&
                            SeqNum(fault.seq) < SeqNum(f.seq) + span;
        if (!covers) {
            continue;
        }
        if (original == nullptr) {
            original = &f;  // the first transmission, at or before the drop
            continue;
        }
        if (f.t >= original->t) {
            return &f;
        }
    }
    return nullptr;
}

// An RST on the dropped segment's connection, seen by the sender after it sent the segment: the
// connection was aborted (e.g. data reaching a peer that already closed), so TCP rightly never
// re-sends it.
const FrameFacts* reset_after(const packet::PacketRecord& fault, const Vantage& sender) {
    std::optional<double> sent;
    for (const auto& f : sender.frames) {
        const bool same_way = f.src == fault.src && f.dst == fault.dst;
        if (!sent && same_way && f.seq == fault.seq && f.len == fault.len) {
            sent = f.t;
        }
        if (sent && (f.tcp_flags & tf::kRst) != 0 &&
            (same_way || (f.src == fault.dst && f.dst == fault.src))) {
            return &f;
        }
    }
    return nullptr;
}

Check drops_retransmitted(const CheckInputs& in) {
    Check c;
    c.name = "drops_retransmitted";
    std::size_t lost = 0;
    std::vector<std::string> missing;
    std::vector<std::string> unflagged;
    std::vector<std::string> aborted;
    for (const auto& fault : in.faults) {
        if (!fault.loses_packet() || !fault.packet.carries_sequence()) {
            continue;
        }
        ++lost;
        const bool c2s = fault.dir == netem::Direction::client_to_server;
        const Vantage& sender = c2s ? *in.client : *in.server;
        const std::string what =
            to_string(fault.dir) + " " + packet::flag_names(fault.packet.tcp_flags) + " seq " +
            std::to_string(fault.packet.seq) + " len " + std::to_string(fault.packet.len);
        const FrameFacts* resend = find_resend_of(fault.packet, sender);
        if (resend == nullptr) {
            if (const FrameFacts* rst = reset_after(fault.packet, sender)) {
                aborted.push_back(what + " (RST in frame " + std::to_string(rst->frame) + ")");
                continue;
            }
            missing.push_back(what);
        } else if (!flagged_as_resend(resend->verdicts)) {
            unflagged.push_back(what + " (re-sent in frame " + std::to_string(resend->frame) + ")");
        }
    }
    c.expected = "each of the " + std::to_string(lost) +
                 " segments the path lost is re-sent and the re-send is flagged at the sender "
                 "(unless an RST aborted its connection first)";
    c.pass = missing.empty() && unflagged.empty();
    c.observed = std::to_string(lost - missing.size() - unflagged.size() - aborted.size()) +
                 " of " + std::to_string(lost) + " re-sent and flagged";
    auto join = [](const std::vector<std::string>& items) {
        std::string out;
        for (std::size_t i = 0; i < items.size() && i < 5; ++i) {
            out += (i == 0 ? "" : "; ") + items[i];
        }
        return out + (items.size() > 5 ? "; ..." : "");
    };
    if (!aborted.empty()) {
        c.observed += "; " + std::to_string(aborted.size()) +
                      " not re-sent, connection reset: " + join(aborted);
    }
    if (!missing.empty()) {
        c.observed += "; never re-sent: " + join(missing);
    }
    if (!unflagged.empty()) {
        c.observed += "; re-sent but not flagged: " + join(unflagged);
    }
    c.reason = lost == 0 ? "the path lost no segment carrying sequence space"
                         : "ledger drops matched to the sender's capture by 4-tuple and sequence";
    return c;
}

std::size_t count_flagged(const Vantage& v, std::uint32_t bits) {
    return static_cast<std::size_t>(
        std::count_if(v.frames.begin(), v.frames.end(),
                      [&](const FrameFacts& f) { return (f.verdicts & bits) != 0; }));
}

std::size_t count_resends(const Vantage& v) {
    return static_cast<std::size_t>(
        std::count_if(v.frames.begin(), v.frames.end(),
                      [](const FrameFacts& f) { return flagged_as_resend(f.verdicts); }));
}

// Copies of one segment (same 4-tuple, seq, length and SYN/FIN) in a capture.
std::size_t copies_in(const Vantage& v, const FrameFacts& f) {
    constexpr std::uint16_t kSynFin = tf::kSyn | tf::kFin;
    return static_cast<std::size_t>(
        std::count_if(v.frames.begin(), v.frames.end(), [&](const FrameFacts& g) {
            return g.src == f.src && g.dst == f.dst && g.seq == f.seq && g.len == f.len &&
                   (g.tcp_flags & kSynFin) == (f.tcp_flags & kSynFin);
        }));
}

Check retransmission_expectation(const CheckInputs& in) {
    const auto& want = in.spec->expect.retransmissions;
    const std::size_t at_client = count_resends(*in.client);
    const std::size_t at_server = count_resends(*in.server);
    Check c;
    c.name = "retransmissions";
    c.observed = std::to_string(at_client) + " at the client, " + std::to_string(at_server) +
                 " at the server";
    c.reason =
        "frames the analyzer flagged retransmission, fast/spurious retransmission or out-of-order";
    if (want == Expectations::Retransmissions::some) {
        c.expected = "at least one";
        c.pass = at_client + at_server > 0;
        return c;
    }
    // None needed: the path lost nothing, so every re-send a sender made must be a timer re-send
    // (TLP/RTO firing on a loaded host) of a segment whose first copy reached the other end — the
    // receiver's capture then holds two copies. A re-send whose original never arrived fails.
    c.expected =
        "no retransmission caused by the path (a timer re-send of a segment that had arrived is "
        "reported, not counted)";
    std::size_t timer_resends = 0;
    std::vector<std::uint64_t> caused_by_path;
    for (const bool client_side : {true, false}) {
        const Vantage& sender = client_side ? *in.client : *in.server;
        const Vantage& receiver = client_side ? *in.server : *in.client;
        for (const FrameFacts* f : own_frames(sender, client_side, in)) {
            if (!flagged_as_resend(f->verdicts)) {
                continue;
            }
            if (copies_in(receiver, *f) >= copies_in(sender, *f)) {
                ++timer_resends;
            } else {
                caused_by_path.push_back(f->frame);
            }
        }
    }
    c.pass = caused_by_path.empty();
    if (timer_resends > 0) {
        c.observed += "; " + std::to_string(timer_resends) +
                      " timer re-sends of segments that had arrived (spurious, host latency)";
    }
    if (!caused_by_path.empty()) {
        c.observed +=
            "; re-sends of segments the path lost: sender frames " + frame_list(caused_by_path);
    }
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

Check receiver_shows(const CheckInputs& in, const std::string& name, std::uint32_t bits,
                     const std::string& what) {
    Check c;
    c.name = name;
    const std::size_t n = count_flagged(*in.server, bits);
    c.expected = "at least one " + what + " at the server (the receiver)";
    c.observed = std::to_string(n) + " frames";
    c.pass = n > 0;
    c.reason = "the path " +
               std::string(name == "receiver_out_of_order" ? "reordered" : "duplicated") +
               " client->server packets";
    return c;
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

std::vector<netem::LedgerEntry> tcp_faults(std::vector<netem::LedgerEntry> ledger) {
    std::erase_if(ledger, [](const netem::LedgerEntry& e) { return !e.packet.is_tcp(); });
    return ledger;
}

std::vector<Check> run_checks(const CheckInputs& in) {
    std::vector<Check> checks;
    const ScenarioSpec& spec = *in.spec;
    for (std::size_t i = 0; i < in.traffic.size(); ++i) {
        const auto& t = in.traffic[i];
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
        const std::size_t want = spec.expect.handshake_fails ? 0 : in.traffic.size();
        c.expected = std::to_string(want) + " completed 3-way handshakes at the server";
        c.observed = std::to_string(n);
        c.pass = n == want;
        c.reason = "SYN, SYN-ACK and the ACK of the SYN-ACK in the server capture";
        checks.push_back(c);
    }
    checks.push_back(resend_verdicts(*in.client, true, in));
    checks.push_back(resend_verdicts(*in.server, false, in));
    if (in.have_ledger) {
        checks.push_back(drops_retransmitted(in));
    }
    if (spec.expect.retransmissions != Expectations::Retransmissions::any) {
        checks.push_back(retransmission_expectation(in));
    }
    if (spec.expect.syn_rto_s) {
        checks.push_back(syn_rto(in, *spec.expect.syn_rto_s));
    }
    if (spec.expect.out_of_order) {
        checks.push_back(receiver_shows(in, "receiver_out_of_order", analyzer::flag::kOutOfOrder,
                                        "out-of-order segment"));
    }
    if (spec.expect.duplicate_ack) {
        checks.push_back(receiver_shows(in, "receiver_duplicates",
                                        analyzer::flag::kDuplicateAck |
                                            analyzer::flag::kSpuriousRetransmission |
                                            analyzer::flag::kRetransmission,
                                        "duplicate ACK or spurious retransmission"));
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

nlohmann::json to_json(const netem::LedgerEntry& fault, const CheckInputs& inputs) {
    // Relative sequence (and, for a pure ACK, acknowledgement) number and transmission number as
    // the sender's capture shows them.
    const Vantage& sender =
        fault.dir == netem::Direction::client_to_server ? *inputs.client : *inputs.server;
    const packet::PacketRecord& p = fault.packet;
    std::optional<std::uint32_t> isn;
    std::optional<std::uint32_t> peer_isn;
    int transmission = 0;
    for (const auto& f : sender.frames) {
        if (f.src == p.src && f.dst == p.dst) {
            if ((f.tcp_flags & tf::kSyn) != 0 && !isn) {
                isn = f.seq;
            }
            if (f.seq == p.seq && f.len == p.len) {
                ++transmission;
            }
        } else if (f.src == p.dst && f.dst == p.src && (f.tcp_flags & tf::kSyn) != 0 && !peer_isn) {
            peer_isn = f.seq;
        }
    }
    nlohmann::json j = {{"t", fault.t},
                        {"direction", to_string(fault.dir)},
                        {"src", p.src.to_string()},
                        {"dst", p.dst.to_string()},
                        {"flags", packet::flag_names(p.tcp_flags)},
                        {"seq", p.seq},
                        {"len", p.len},
                        {"action", fault.action},
                        {"reason", fault.reason}};
    if (isn) {
        j["relative_seq"] = p.seq - *isn;
    }
    // A pure ACK is named by what it acknowledges (netem/forwarder/detail/packet_names.hpp): its
    // transmission number counts the ACKs of that same byte.
    if (peer_isn && p.is_pure_ack()) {
        j["relative_ack"] = p.ack - *peer_isn;
    }
    if (fault.transmission.value_or(0) != 0) {
        j["transmission"] = *fault.transmission;
    }
    j["copies_sent"] = transmission;
    return j;
}

}  // namespace tcplab::scenario
