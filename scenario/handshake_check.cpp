#include "scenario/handshake_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "analyzer/flags.hpp"
#include "packet/tcp.hpp"
#include "scenario/detail/check_text.hpp"

namespace tcplab::scenario {

namespace {

namespace tf = packet::tcp_flag;
using Frames = std::vector<const FrameFacts*>;

// Two timestamps of one pcap (nanoseconds) subtracted as double seconds: far below a microsecond.
constexpr double kSameTimeS = 1e-6;
// How many disagreements `observed` names before it only counts them.
constexpr std::size_t kListed = 8;

// tshark's tcp.completeness bits as Wireshark documents them, restated so that the truth does not
// borrow the analyzer's own constants.
namespace bits {
constexpr std::uint8_t kSyn = 1;
constexpr std::uint8_t kSynAck = 2;
constexpr std::uint8_t kAck = 4;
constexpr std::uint8_t kData = 8;
constexpr std::uint8_t kFin = 16;
constexpr std::uint8_t kRst = 32;
}  // namespace bits

bool has(const FrameFacts& f, std::uint16_t flag) { return (f.tcp_flags & flag) != 0; }
bool pure_syn(const FrameFacts& f) { return has(f, tf::kSyn) && !has(f, tf::kAck); }
bool syn_ack(const FrameFacts& f) { return has(f, tf::kSyn) && has(f, tf::kAck); }

std::string ms(double seconds) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.3f ms", seconds * 1e3);
    return buf;
}

std::string frame_text(const FrameFacts* f) {
    return f == nullptr ? "none" : "frame " + std::to_string(f->frame);
}

std::string frame_text(std::uint64_t frame) {
    return frame == 0 ? "none" : "frame " + std::to_string(frame);
}

// What the check found: disagreements fail it, notes explain what was not compared and why.
struct Findings {
    std::vector<std::string> problems;
    std::vector<std::string> notes;
    std::vector<std::string> summaries;  // one line per connection at the client
};

// One TCP connection as the raw frames of one capture show it.
struct Connection {
    packet::Endpoint client;
    packet::Endpoint server;
    std::optional<std::uint32_t> isn;  // the client's ISN (none: no pure SYN seen)
    Frames frames;
    std::set<std::uint32_t> streams;  // the tcp.stream values the analyzer gave its frames

    bool from_client(const FrameFacts& f) const { return f.src == client; }
    std::string name() const { return client.to_string() + " > " + server.to_string(); }
};

Connection start_connection(const FrameFacts& f, const CheckInputs& in) {
    Connection c;
    const bool client_sends = pure_syn(f) || in.from_client(f);
    c.client = client_sends ? f.src : f.dst;
    c.server = client_sends ? f.dst : f.src;
    return c;
}

// The connections of one capture by what the wire shows, not by the analyzer's tcp.stream: the
// frames of one address/port pair, split where a pure SYN carries a new ISN (ports reused).
std::vector<Connection> connections_of(const Vantage& v, const CheckInputs& in) {
    std::vector<Connection> out;
    std::map<std::pair<packet::Endpoint, packet::Endpoint>, std::size_t> current;
    for (const auto& f : v.frames) {
        const auto key = f.src < f.dst ? std::pair{f.src, f.dst} : std::pair{f.dst, f.src};
        auto it = current.find(key);
        if (it == current.end() ||
            (pure_syn(f) && out[it->second].isn && *out[it->second].isn != f.seq)) {
            out.push_back(start_connection(f, in));
            it = current.insert_or_assign(key, out.size() - 1).first;
        }
        Connection& c = out[it->second];
        if (pure_syn(f) && !c.isn) {
            c.isn = f.seq;
            c.client = f.src;
            c.server = f.dst;
        }
        c.frames.push_back(&f);
        c.streams.insert(f.stream);
    }
    return out;
}

// The handshake of one connection in one capture.
struct Handshake {
    Frames syns;                          // the client's pure SYN copies
    Frames synacks;                       // the server's SYN-ACK copies
    const FrameFacts* ack = nullptr;      // the client's first ACK of the SYN-ACK
    const FrameFacts* end = nullptr;      // where tshark ends the handshake (below)
    const FrameFacts* start = nullptr;    // the latest pure SYN before `end`
    const FrameFacts* refusal = nullptr;  // an RST from the server before any SYN-ACK
};

// tshark ends the handshake, and takes the iRTT, at the first frame after a pure SYN that has ACK
// without SYN, in either direction: normally the client's ACK of the SYN-ACK, but a refusing
// RST/ACK too. The iRTT runs from the latest pure SYN before it.
Handshake handshake_of(const Connection& c) {
    Handshake h;
    for (const FrameFacts* f : c.frames) {
        if (pure_syn(*f) && h.end == nullptr) {
            h.start = f;
        }
        if (pure_syn(*f) && c.from_client(*f)) {
            h.syns.push_back(f);
        } else if (syn_ack(*f) && !c.from_client(*f)) {
            h.synacks.push_back(f);
        }
        const bool acks = has(*f, tf::kAck) && !has(*f, tf::kSyn);
        if (acks && h.end == nullptr && h.start != nullptr) {
            h.end = f;
        }
        if (acks && h.ack == nullptr && c.from_client(*f) && !has(*f, tf::kRst) &&
            !h.synacks.empty() && f->ack == h.synacks.front()->seq + 1) {
            h.ack = f;
        }
        if (has(*f, tf::kRst) && !c.from_client(*f) && h.synacks.empty() && !h.syns.empty() &&
            h.refusal == nullptr) {
            h.refusal = f;
        }
    }
    return h;
}

const StreamFacts* summary_of(const Vantage& v, std::uint32_t stream) {
    for (const auto& s : v.streams) {
        if (s.stream == stream && s.summarised) {
            return &s;
        }
    }
    return nullptr;
}

void expect_frame(Findings& out, const std::string& where, const std::string& what,
                  std::uint64_t wire, std::uint64_t analyzer) {
    if (wire != analyzer) {
        out.problems.push_back(where + ": " + what + " is " + frame_text(wire) +
                               ", analyzer says " + frame_text(analyzer));
    }
}

void compare_handshake_frames(const Handshake& h, const StreamFacts& s, const std::string& where,
                              Findings& out) {
    expect_frame(out, where, "first SYN", h.syns.empty() ? 0 : h.syns.front()->frame, s.syn_frame);
    expect_frame(out, where, "first SYN-ACK", h.synacks.empty() ? 0 : h.synacks.front()->frame,
                 s.synack_frame);
    expect_frame(out, where, "handshake end (tshark: first ACK after a SYN)",
                 h.end == nullptr ? 0 : h.end->frame, s.ack_frame);
    if (s.syn_count != h.syns.size() || s.synack_count != h.synacks.size()) {
        out.problems.push_back(
            where + ": " + std::to_string(h.syns.size()) + " SYN and " +
            std::to_string(h.synacks.size()) + " SYN-ACK copies on the wire, analyzer counts " +
            std::to_string(s.syn_count) + " and " + std::to_string(s.synack_count));
    }
    if (h.ack != nullptr && h.end != h.ack) {
        out.notes.push_back(where + ": tshark's rule ends the handshake at " + frame_text(h.end) +
                            ", before the client's ACK of the SYN-ACK (" + frame_text(h.ack) + ")");
    }
}

// The copies of one segment in one capture: the first is the original, and each later copy a
// re-send the analyzer must flag (retransmission, or out-of-order when it follows closely). A
// flagged retransmission's RTO runs from an earlier copy: tshark's oldest still-unacknowledged
// segment, which is the first copy unless the peer's re-sent SYN (ack field 0, taken as an
// acknowledgement by sequence arithmetic) retired it — then a later copy (synackloss: the third
// SYN-ACK's RTO counts from the second). So the RTO must equal the time since the copy it names,
// and that frame must be an earlier copy of this segment. The first copy may carry
// flags of its own when it re-sends data too (`first_may_be_flagged`), which resend_verdicts
// judges.
void compare_copies(const Frames& copies, const std::string& what, const std::string& where,
                    bool check_rto, bool first_may_be_flagged, Findings& out) {
    for (std::size_t i = 0; i < copies.size(); ++i) {
        const FrameFacts& f = *copies[i];
        const bool flagged = flagged_as_resend(f.verdicts);
        const std::string frame = std::to_string(f.frame);
        if (i == 0) {
            if (flagged && !first_may_be_flagged) {
                out.problems.push_back(where + ": " + what + " frame " + frame +
                                       " is the first copy but flagged " +
                                       analyzer::verdict_names(f.verdicts));
            }
            continue;
        }
        const FrameFacts& first = *copies.front();
        if (!flagged) {
            out.problems.push_back(where + ": " + what + " frame " + frame + " re-sends frame " +
                                   std::to_string(first.frame) + " but is not flagged");
            continue;
        }
        const bool retransmission = (f.verdicts & analyzer::flag::kRetransmission) != 0;
        const FrameFacts* based_on = nullptr;
        for (std::size_t j = 0; j < i; ++j) {
            based_on = copies[j]->frame == f.rto_frame ? copies[j] : based_on;
        }
        if (check_rto && retransmission &&
            (based_on == nullptr || std::abs(f.rto - (f.t - based_on->t)) > kSameTimeS)) {
            out.problems.push_back(where + ": " + what + " frame " + frame + " RTO " + ms(f.rto) +
                                   " from " + frame_text(f.rto_frame) + ", wire: " +
                                   (based_on == nullptr
                                        ? std::string("that frame is no earlier copy")
                                        : ms(f.t - based_on->t)) +
                                   " (first copy: frame " + std::to_string(first.frame) + ", " +
                                   ms(f.t - first.t) + ")");
        }
    }
}

// The client's FIN copies and the server's: frames with FIN and the same seq and length.
std::map<std::tuple<bool, std::uint32_t, std::uint32_t>, Frames> fin_copies(const Connection& c) {
    std::map<std::tuple<bool, std::uint32_t, std::uint32_t>, Frames> out;
    for (const FrameFacts* f : c.frames) {
        if (has(*f, tf::kFin)) {
            out[{c.from_client(*f), f->seq, f->len}].push_back(f);
        }
    }
    return out;
}

void compare_teardown(const Connection& c, const StreamFacts& s, const std::string& where,
                      bool at_client, Findings& out) {
    const auto first_fin = std::find_if(c.frames.begin(), c.frames.end(),
                                        [](const FrameFacts* f) { return has(*f, tf::kFin); });
    const FrameFacts* fin = first_fin == c.frames.end() ? nullptr : *first_fin;
    expect_frame(out, where, "first FIN", fin == nullptr ? 0 : fin->frame, s.first_fin_frame);
    const packet::Endpoint b = s.a == c.client ? c.server : c.client;
    if (fin != nullptr && fin->frame == s.first_fin_frame &&
        fin->src != (s.first_fin_by_a ? s.a : b)) {
        out.problems.push_back(where + ": first FIN (frame " + std::to_string(fin->frame) +
                               ") sent by " + fin->src.to_string() + ", analyzer says by " +
                               (s.first_fin_by_a ? s.a : b).to_string());
    }
    for (const auto& [key, copies] : fin_copies(c)) {
        const bool data = std::get<2>(key) > 0;
        // At the receiver the first copy it sees may be the sender's re-send of a lost FIN, and
        // tshark flags it when a later segment (an ACK past the FIN) arrived first; the sender's
        // own capture counts the copies exactly, and is judged there.
        const bool at_sender = std::get<0>(key) == at_client;
        compare_copies(copies, std::get<0>(key) ? "client FIN" : "server FIN", where,
                       /*check_rto=*/false, /*first_may_be_flagged=*/data || !at_sender, out);
    }
    for (const bool by_a : {true, false}) {
        const packet::Endpoint& who = by_a ? s.a : b;
        const bool wire = std::any_of(c.frames.begin(), c.frames.end(), [&](const FrameFacts* f) {
            return has(*f, tf::kRst) && f->src == who;
        });
        if (wire != (by_a ? s.rst_by_a : s.rst_by_b)) {
            out.problems.push_back(
                where + ": RST from " + who.to_string() +
                (wire ? " on the wire, analyzer saw none" : " per analyzer, none on the wire"));
        }
    }
}

// tcp.completeness from the frames as Wireshark defines its bits: tracked only for a
// conversation whose first frame is a pure SYN; then a SYN-ACK, an ACK without payload, a
// segment with payload (ACK set, or the opening SYN itself), a FIN with ACK and an RST each set
// theirs.
std::optional<std::uint8_t> completeness_of(const Connection& c) {
    if (c.frames.empty() || !pure_syn(*c.frames.front())) {
        return std::nullopt;
    }
    std::uint8_t out = bits::kSyn | (c.frames.front()->len > 0 ? bits::kData : 0);
    for (std::size_t i = 1; i < c.frames.size(); ++i) {
        const FrameFacts& f = *c.frames[i];
        out |= syn_ack(f) ? bits::kSynAck : 0;
        if (has(f, tf::kAck) && !has(f, tf::kSyn)) {
            out |= f.len > 0 ? bits::kData : bits::kAck;
        }
        out |= has(f, tf::kFin) && has(f, tf::kAck) ? bits::kFin : 0;
        out |= has(f, tf::kRst) ? bits::kRst : 0;
    }
    return out;
}

void compare_completeness(const Connection& c, const StreamFacts& s, const std::string& where,
                          Findings& out) {
    const auto wire = completeness_of(c);
    if (!wire) {
        out.notes.push_back(where + ": does not start with a SYN, completeness not compared");
    } else if (*wire != s.completeness) {
        out.problems.push_back(where + ": tcp.completeness " + std::to_string(*wire) +
                               " from the frames, analyzer says " + std::to_string(s.completeness));
    }
}

std::string options_text(const std::optional<SynOptions>& o) {
    if (!o) {
        return "none";
    }
    std::string out = "mss " + (o->mss ? std::to_string(*o->mss) : "-") + " ws " +
                      (o->window_scale ? std::to_string(*o->window_scale) : "-") +
                      (o->sack_permitted ? " sack_perm" : "");
    if (o->timestamps) {
        out += " ts " + std::to_string(o->timestamps->value) + "/" +
               std::to_string(o->timestamps->echo_reply);
    }
    return out;
}

std::optional<SynOptions> options_of(const Vantage& v, std::uint64_t frame) {
    const auto it = v.syn_options.find(frame);
    return it == v.syn_options.end() ? std::nullopt : std::optional<SynOptions>(it->second);
}

// The options the analyzer reports for its first SYN and SYN-ACK against the frames' own bytes.
void compare_options(const Vantage& v, const StreamFacts& s, const std::string& where,
                     Findings& out) {
    const std::pair<std::uint64_t, const std::optional<SynOptions>*> both[] = {
        {s.syn_frame, &s.syn_options}, {s.synack_frame, &s.synack_options}};
    for (const auto& [frame, reported] : both) {
        if (frame == 0) {
            continue;
        }
        const auto wire = options_of(v, frame);
        if (wire != *reported) {
            out.problems.push_back(where + ": options of frame " + std::to_string(frame) + " are " +
                                   options_text(wire) + ", analyzer says " +
                                   options_text(*reported));
        }
    }
}

// The analyzer's iRTT against the wire's: the latest SYN before the handshake's end to that end.
void compare_irtt(const Handshake& h, const StreamFacts& s, const std::string& where,
                  Findings& out) {
    const double wire = (h.start != nullptr && h.end != nullptr) ? h.end->t - h.start->t : 0;
    if (std::abs(wire - s.irtt) > kSameTimeS) {
        out.problems.push_back(where + ": iRTT " + ms(s.irtt) + " per analyzer, wire " + ms(wire) +
                               " (" + frame_text(h.start) + " to " + frame_text(h.end) + ")");
    }
}

// Everything one capture says about one connection, against the analyzer's summary of it.
void compare_in_capture(const Vantage& v, const Connection& c, const std::string& side,
                        Findings& out) {
    const std::uint32_t stream = *c.streams.begin();
    const std::string where = side + " stream " + std::to_string(stream);
    if (c.streams.size() != 1) {
        out.problems.push_back(side + ": frames of one connection (" + c.name() + ") carry " +
                               std::to_string(c.streams.size()) + " tcp.stream values");
        return;
    }
    const StreamFacts* s = summary_of(v, stream);
    if (s == nullptr) {
        out.notes.push_back(where + ": the analyzer kept no summary, not compared");
        return;
    }
    const Handshake h = handshake_of(c);
    compare_handshake_frames(h, *s, where, out);
    // RTOs only in the sender's own capture: there the first copy is the oldest segment still
    // unacknowledged; at the receiver a late copy (duplicated, delayed) may follow data.
    const bool at_client = side == "client";
    compare_copies(h.syns, "SYN", where, /*check_rto=*/at_client, false, out);
    compare_copies(h.synacks, "SYN-ACK", where, /*check_rto=*/!at_client, false, out);
    compare_irtt(h, *s, where, out);
    compare_options(v, *s, where, out);
    compare_completeness(c, *s, where, out);
    compare_teardown(c, *s, where, at_client, out);
}

// ---- the client's iRTT against the path -------------------------------------------------------

// The copy a receiver's frame is of: the latest copy the sender sent at or before it arrived with
// the same IP ID (when both have one). Copies of a SYN are a second or more apart; no delay here
// comes near that.
const FrameFacts* sent_copy_of(const FrameFacts& received, const Frames& sent) {
    const FrameFacts* out = nullptr;
    for (const FrameFacts* f : sent) {
        const bool same_id = !f->ip_id || !received.ip_id || *f->ip_id == *received.ip_id;
        if (f->t <= received.t + kSameTimeS && same_id) {
            out = f;
        }
    }
    return out;
}

// The range a one-way delay may take under one direction's configured impairment, in seconds.
struct DelayRange {
    double low = 0;
    double high = 0;
    std::string text;
};

DelayRange delay_range(const netem::DirectionImpairment& d) {
    using netem::DelayDistribution;
    const double delay = d.delay_ms / 1e3;
    const double jitter = d.jitter_ms / 1e3;
    DelayRange r{delay, delay, ms(delay)};
    if (jitter > 0) {
        // Spread of the distribution in units of the jitter: uniform +-1; normal +-5 sigma (netem's
        // table reaches 4, the forwarder's inverse CDF a little further); pareto (alpha 3, shifted
        // to mean 0, sd 1) and paretonormal have a floor but no ceiling.
        double below = 1;
        double above = 1;
        if (d.distribution == DelayDistribution::normal) {
            below = above = 5;
        } else if (d.distribution == DelayDistribution::pareto) {
            below = 0.58;
            above = std::numeric_limits<double>::infinity();
        } else if (d.distribution == DelayDistribution::paretonormal) {
            below = 2.2;
            above = std::numeric_limits<double>::infinity();
        }
        r.low = std::max(0.0, delay - below * jitter);
        r.high = delay + above * jitter;
        r.text = ms(delay) + " +- " + ms(jitter) + " " + netem::to_string(d.distribution);
    }
    if (d.rate_bps > 0) {
        // A rate limit adds a SYN's serialization (<= 128 bytes with options and link header);
        // a handshake starts on an idle path, so there is no queue to wait behind.
        r.high += 128.0 * 8 / static_cast<double>(d.rate_bps);
    }
    if (d.reorder_percent > 0) {
        r.low = 0;  // a reordered packet skips the delay
        r.text += ", reordered ones undelayed";
    }
    r.low = std::max(0.0, r.low - kPathSlackS);
    r.high += kPathSlackS;
    return r;
}

bool within(double x, const DelayRange& r) { return x >= r.low && x <= r.high; }

// The four parts of the client's iRTT, measured across the two captures (one host clock).
struct IrttParts {
    double syn_delay = 0;     // client -> server, the SYN that started the iRTT
    double server_turn = 0;   // SYN in -> SYN-ACK out at the server
    double synack_delay = 0;  // server -> client, the SYN-ACK the client acknowledged
    double client_turn = 0;   // SYN-ACK in -> ACK out at the client
};

// The SYN-ACK the client acknowledged: the latest to arrive before its ACK.
const FrameFacts* acked_synack(const Handshake& h) {
    const FrameFacts* out = nullptr;
    for (const FrameFacts* f : h.synacks) {
        if (f->t <= h.ack->t) {
            out = f;
        }
    }
    return out;
}

// Splits the iRTT, or says why it is no round trip of the path (then nullopt).
std::optional<IrttParts> split_irtt(const Handshake& at_client, const Handshake& at_server,
                                    std::string& why_not) {
    const FrameFacts* synack_in = acked_synack(at_client);
    const FrameFacts* synack_out =
        synack_in == nullptr ? nullptr : sent_copy_of(*synack_in, at_server.synacks);
    const FrameFacts* syn_in = nullptr;  // the last SYN copy the server had before it answered
    for (const FrameFacts* f : at_server.syns) {
        if (synack_out != nullptr && f->t <= synack_out->t) {
            syn_in = f;
        }
    }
    const FrameFacts* syn_out = syn_in == nullptr ? nullptr : sent_copy_of(*syn_in, at_client.syns);
    if (synack_out == nullptr || syn_out == nullptr) {
        why_not = "SYN-ACK or the SYN it answers not found in both captures";
        return std::nullopt;
    }
    if (syn_out != at_client.start) {
        why_not = "the server answered SYN frame " + std::to_string(syn_out->frame) +
                  ", not the latest one (frame " + std::to_string(at_client.start->frame) +
                  ") the iRTT starts from";
        return std::nullopt;
    }
    IrttParts p{syn_in->t - syn_out->t, synack_out->t - syn_in->t, synack_in->t - synack_out->t,
                at_client.ack->t - synack_in->t};
    if (p.server_turn > kAnswerWindowS) {
        why_not = "the SYN-ACK left the server " + ms(p.server_turn) +
                  " after the SYN arrived: a timer re-send, not an answer";
        return std::nullopt;
    }
    return p;
}

// The client's iRTT against the configured delay; returns what it measured, in words.
std::string compare_with_path(const Handshake& hc, const Connection& server, const StreamFacts& s,
                              const netem::Impairment& impairment, const std::string& where,
                              Findings& out) {
    if (hc.ack == nullptr) {
        return "no completed handshake" +
               (hc.refusal != nullptr ? " (refused by RST " + frame_text(hc.refusal) + ")" : "");
    }
    if (hc.end != hc.ack) {
        return "iRTT " + ms(s.irtt) + " ends at " + frame_text(hc.end) +
               ", not at the ACK of the SYN-ACK";
    }
    std::string why_not;
    const auto p = split_irtt(hc, handshake_of(server), why_not);
    if (!p) {
        return "iRTT " + ms(s.irtt) + ", no path round trip: " + why_not;
    }
    const DelayRange c2s = delay_range(impairment.client_to_server);
    const DelayRange s2c = delay_range(impairment.server_to_client);
    if (!within(p->syn_delay, c2s) || !within(p->synack_delay, s2c)) {
        out.problems.push_back(where + ": one-way delays SYN " + ms(p->syn_delay) + ", SYN-ACK " +
                               ms(p->synack_delay) + " outside the configured " + c2s.text + " / " +
                               s2c.text + " (+-" + ms(kPathSlackS) + ")");
    }
    const double expected = p->syn_delay + p->server_turn + p->synack_delay + p->client_turn;
    if (std::abs(expected - s.irtt) > kSameTimeS) {
        out.problems.push_back(where + ": iRTT " + ms(s.irtt) + " is not the wire's " +
                               ms(expected));
    }
    return "iRTT " + ms(s.irtt) + " = SYN " + ms(p->syn_delay) + " + server " + ms(p->server_turn) +
           " + SYN-ACK " + ms(p->synack_delay) + " + client " + ms(p->client_turn) +
           " (configured " + c2s.text + " / " + s2c.text + ")";
}

// Who closed first, FIN re-sends and RSTs of one connection in one capture, in words.
std::string teardown_text(const Connection& c) {
    const auto fin = std::find_if(c.frames.begin(), c.frames.end(),
                                  [](const FrameFacts* f) { return has(*f, tf::kFin); });
    std::string out = fin == c.frames.end()
                          ? "no FIN"
                          : std::string(c.from_client(**fin) ? "client" : "server") +
                                " closed first (frame " + std::to_string((*fin)->frame) + ")";
    std::size_t resent[2] = {0, 0};
    for (const auto& [key, copies] : fin_copies(c)) {
        resent[std::get<0>(key) ? 0 : 1] += copies.size() - 1;
    }
    if (resent[0] + resent[1] > 0) {
        out += ", FIN re-sent " + std::to_string(resent[0]) + "x by the client, " +
               std::to_string(resent[1]) + "x by the server";
    }
    for (const bool client_side : {true, false}) {
        if (std::any_of(c.frames.begin(), c.frames.end(), [&](const FrameFacts* f) {
                return has(*f, tf::kRst) && c.from_client(*f) == client_side;
            })) {
            out += std::string(", RST from the ") + (client_side ? "client" : "server");
        }
    }
    return out;
}

// ---- putting it together -----------------------------------------------------------------------

// The options the server received against those the client sent, TSval aside (a re-sent SYN
// carries a new one). A difference is the path's doing, not the analyzer's: reported, not failed.
std::string options_path_text(const StreamFacts& sent, const StreamFacts* received) {
    const auto shape = [](std::optional<SynOptions> o) {
        if (o && o->timestamps) {
            o->timestamps = packet::TcpTimestamps{};
        }
        return o;
    };
    if (received == nullptr || shape(sent.syn_options) == shape(received->syn_options)) {
        return "";
    }
    return ", SYN options changed on the path: sent " + options_text(sent.syn_options) +
           ", received " + options_text(received->syn_options);
}

const Connection* peer_of(const Connection& c, const std::vector<Connection>& others) {
    for (const auto& o : others) {
        if (o.client == c.client && o.server == c.server && o.isn == c.isn) {
            return &o;
        }
    }
    return nullptr;
}

void compare_across(const std::vector<Connection>& at_client,
                    const std::vector<Connection>& at_server, const CheckInputs& in,
                    Findings& out) {
    for (const auto& c : at_client) {
        const StreamFacts* s =
            c.streams.size() == 1 ? summary_of(*in.client, *c.streams.begin()) : nullptr;
        const Connection* peer = peer_of(c, at_server);
        if (s == nullptr || peer == nullptr) {
            out.summaries.push_back("client " + c.name() + ": " +
                                    (peer == nullptr ? "not seen at the server" : "no summary"));
            continue;
        }
        const std::string where = "client stream " + std::to_string(s->stream);
        const Handshake hc = handshake_of(c);
        const std::string irtt = compare_with_path(hc, *peer, *s, in.spec->impairment, where, out);
        out.summaries.push_back(
            where + ": SYN x" + std::to_string(hc.syns.size()) + ", SYN-ACK x" +
            std::to_string(hc.synacks.size()) + ", " + irtt + ", " + teardown_text(c) +
            options_path_text(*s, summary_of(*in.server, *peer->streams.begin())));
        if (in.spec->expect.handshake_fails && hc.ack != nullptr) {
            out.problems.push_back("client " + c.name() +
                                   ": handshake completed, the scenario expects none");
        }
    }
}

}  // namespace

Check handshake_verdicts(const CheckInputs& in) {
    Check c;
    c.name = "handshake_verdicts";
    c.expected =
        "per connection, the analyzer's handshake (SYN/SYN-ACK/ACK frames, SYN and SYN-ACK "
        "re-sends and their RTOs, options, completeness, iRTT) and teardown (first FIN, FIN "
        "re-sends, RST) equal the wire's in both captures; the client's iRTT is the path's "
        "round trip within the configured delay";
    Findings found;
    const auto at_client = connections_of(*in.client, in);
    const auto at_server = connections_of(*in.server, in);
    for (const auto& conn : at_client) {
        compare_in_capture(*in.client, conn, "client", found);
    }
    for (const auto& conn : at_server) {
        compare_in_capture(*in.server, conn, "server", found);
    }
    compare_across(at_client, at_server, in, found);
    // Traffic that left no connection at the client's own capture has nothing to compare: fail.
    const bool none = at_client.empty() && !in.spec->traffic.empty();
    c.pass = found.problems.empty() && !none;
    c.observed = std::to_string(at_client.size()) + " connections at the client, " +
                 std::to_string(at_server.size()) + " at the server";
    if (!found.summaries.empty()) {
        c.observed += "; " + detail::first_items(found.summaries, kListed);
    }
    if (!found.problems.empty()) {
        c.observed += "; disagreements: " + detail::first_items(found.problems, kListed);
    }
    if (!found.notes.empty()) {
        c.observed += "; not compared: " + detail::first_items(found.notes, kListed);
    }
    c.reason =
        "truth from the raw frames: connections by address/port pair and ISN; a copy after the "
        "first (same seq, length, SYN/FIN) must be flagged, its RTO counted from the first copy; "
        "iRTT from the latest SYN to the first ACK after it (tshark's rule) to within 1 us; the "
        "client's iRTT split across the two captures (one clock) into SYN delay, server turn, "
        "SYN-ACK delay and client turn, each delay within its direction's configured delay "
        "(jitter: the distribution's range) +-" +
        ms(kPathSlackS) + " for forwarder/timer scheduling";
    return c;
}

}  // namespace tcplab::scenario
