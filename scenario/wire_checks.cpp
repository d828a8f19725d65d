#include "scenario/detail/wire_checks.hpp"

#include <algorithm>
#include <optional>
#include <sstream>

#include "analyzer/flags.hpp"
#include "packet/format.hpp"
#include "packet/seq_num.hpp"
#include "packet/tcp.hpp"
#include "scenario/detail/check_text.hpp"

namespace tcplab::scenario::detail {

namespace {

using packet::SeqNum;
namespace tf = packet::tcp_flag;
using Kind = PathFault::Kind;

// How long after a reorder or duplicate its duplicate ACKs can still explain a re-send.
constexpr double kReorderWindowS = 1.0;

std::string describe(const PathFault& f) {
    return to_string(f.dir) + " " + packet::flag_names(f.packet.tcp_flags) + " seq " +
           std::to_string(f.packet.seq) + " len " + std::to_string(f.packet.len) + " (frame " +
           std::to_string(f.sent_frame) + ")";
}

// Sequence space a frame occupies: payload, plus one for SYN and for FIN.
std::uint32_t span_of(const packet::PacketRecord& p) {
    return p.len + (p.has_flag(tf::kSyn) ? 1U : 0U) + (p.has_flag(tf::kFin) ? 1U : 0U);
}

bool covers(const packet::PacketRecord& f, std::uint32_t seq) {
    const std::uint32_t span = span_of(f);
    return span > 0 && SeqNum(seq) >= SeqNum(f.seq) && SeqNum(seq) < SeqNum(f.seq) + span;
}

bool same_way(const packet::PacketRecord& a, const packet::PacketRecord& b) {
    return a.src == b.src && a.dst == b.dst;
}

bool same_connection(const packet::PacketRecord& a, const packet::PacketRecord& b) {
    return same_way(a, b) || (a.src == b.dst && a.dst == b.src);
}

const Vantage& sender_of(const CheckInputs& in, packet::Direction dir) {
    return dir == packet::Direction::client_to_server ? *in.client : *in.server;
}

// The sender's next copy of a lost segment: the first frame after the lost transmission (by its
// record number, so a lost re-send is never "re-sent" by itself) covering its first byte.
const FrameFacts* resend_after(const PathFault& lost, const Vantage& sender) {
    for (const auto& f : sender.frames) {
        if (f.frame > lost.sent_frame && same_way(f, lost.packet) && covers(f, lost.packet.seq)) {
            return &f;
        }
    }
    return nullptr;
}

// An RST on the lost segment's connection that the sender saw before a timer re-send could have
// been due (the minimum RTO plus a round trip after the loss): the connection was aborted first
// (e.g. data reaching a peer that had already closed), so TCP rightly never re-sends.
const FrameFacts* reset_before_due(const PathFault& lost, const Vantage& sender,
                                   double round_trip_s) {
    const double due = lost.sent_t + kMinRtoS + round_trip_s;
    for (const auto& f : sender.frames) {
        if (f.t >= lost.sent_t && f.t <= due && f.has_flag(tf::kRst) &&
            same_connection(f, lost.packet)) {
            return &f;
        }
    }
    return nullptr;
}

// An earlier copy of the lost one that the path delivered: the receiver already had its sequence
// space, so the lost copy was redundant (e.g. a SYN re-sent while the SYN-ACK was being lost) and
// TCP rightly sends no other.
const FrameFacts* delivered_before(const PathFault& lost, const Vantage& sender,
                                   const std::vector<PathFault>& faults) {
    for (const auto& f : sender.frames) {
        if (f.frame >= lost.sent_frame) {
            break;
        }
        if (!same_way(f, lost.packet) || !covers(f, lost.packet.seq)) {
            continue;
        }
        const bool lost_too = std::any_of(faults.begin(), faults.end(), [&](const PathFault& g) {
            return g.dir == lost.dir && g.sent_frame == f.frame && g.loses_packet();
        });
        if (!lost_too) {
            return &f;
        }
    }
    return nullptr;
}

}  // namespace

Check drops_retransmitted(const CheckInputs& in) {
    std::size_t lost = 0;
    std::vector<std::string> missing, unflagged, aborted, redundant;
    for (const auto& fault : in.faults) {
        if (!fault.loses_packet() || !fault.packet.carries_sequence()) {
            continue;
        }
        ++lost;
        const Vantage& sender = sender_of(in, fault.dir);
        if (const FrameFacts* earlier = delivered_before(fault, sender, in.faults)) {
            redundant.push_back(describe(fault) + ", frame " + std::to_string(earlier->frame) +
                                " had arrived");
        } else if (const FrameFacts* resend = resend_after(fault, sender)) {
            if (!flagged_as_resend(resend->verdicts)) {
                unflagged.push_back(describe(fault) + " re-sent in frame " +
                                    std::to_string(resend->frame));
            }
        } else if (const FrameFacts* rst = reset_before_due(fault, sender, in.round_trip_s)) {
            aborted.push_back(describe(fault) + ", RST in frame " + std::to_string(rst->frame));
        } else {
            missing.push_back(describe(fault));
        }
    }
    Check c;
    c.name = "drops_retransmitted";
    c.expected = "each of the " + std::to_string(lost) +
                 " segments lost on the path is re-sent after the lost copy and the re-send is "
                 "flagged at the sender (unless an earlier copy had arrived, or an RST aborted "
                 "the connection before a re-send was due)";
    c.pass = missing.empty() && unflagged.empty();
    c.observed = std::to_string(lost - missing.size() - unflagged.size() - aborted.size() -
                                redundant.size()) +
                 " of " + std::to_string(lost) + " re-sent and flagged";
    if (!redundant.empty()) {
        c.observed += "; " + std::to_string(redundant.size()) +
                      " lost copies of segments already delivered (no re-send needed): " +
                      first_items(redundant);
    }
    if (!aborted.empty()) {
        c.observed += "; " + std::to_string(aborted.size()) +
                      " not re-sent, connection reset first: " + first_items(aborted);
    }
    if (!missing.empty()) {
        c.observed += "; never re-sent: " + first_items(missing);
    }
    if (!unflagged.empty()) {
        c.observed += "; re-sent but not flagged: " + first_items(unflagged);
    }
    c.reason = lost == 0 ? "the wire shows no lost segment carrying sequence space"
                         : "losses from the two-capture diff, matched to the sender's next copy "
                           "by 4-tuple and sequence";
    return c;
}

namespace {

// Why the path (or the host) made a flagged frame, as the wire shows it; empty when nothing does.
struct Explainer {
    const CheckInputs& in;

    std::string explain(const FrameFacts& f, packet::Direction dir, bool at_sender) const {
        for (const auto& fault : in.faults) {
            if (fault.dir != dir || !same_way(fault.packet, f) || fault.sent_t > f.t) {
                continue;
            }
            if (fault.loses_packet() && covers(fault.packet, f.seq)) {
                return "an earlier copy was lost";
            }
            // Dup ACKs from a reorder or duplicate prompt a fast re-send soon after, not later.
            const bool recent = f.t - fault.sent_t <= kReorderWindowS + in.round_trip_s;
            if ((fault.kind == Kind::reordered || fault.kind == Kind::duplicated) && recent) {
                return "the path " + action_name(fault.kind) + "d frame " +
                       std::to_string(fault.sent_frame) + " before it";
            }
        }
        return at_sender ? timer_resend(f) : copy_of_explained_resend(f, dir);
    }

    // A timer fired although the original arrived: the ACK covering it had not reached the sender
    // when it re-sent (a late ACK; the wire shows the delay).
    std::string timer_resend(const FrameFacts& f) const {
        const bool c2s = in.from_client(f);
        const Vantage& sender = c2s ? *in.client : *in.server;
        const FrameFacts* original = nullptr;
        for (const auto& g : sender.frames) {
            if (&g == &f) {
                break;  // capture order: what the sender had seen when it re-sent
            }
            if (same_way(g, f) && covers(g, f.seq)) {
                original = original == nullptr ? &g : original;
            }
            if (original != nullptr && g.src == f.dst && g.has_flag(tf::kAck) &&
                SeqNum(g.ack) > SeqNum(f.seq)) {
                return {};  // acknowledged before the re-send: nothing on the wire excuses it
            }
        }
        return original == nullptr ? std::string()
                                   : "timer re-send: the ACK of frame " +
                                         std::to_string(original->frame) + " was not back yet";
    }

    // At the receiver, a flagged copy of a re-send the sender made for an explained reason.
    std::string copy_of_explained_resend(const FrameFacts& f, packet::Direction dir) const {
        const Vantage& sender = sender_of(in, dir);
        for (auto it = sender.frames.rbegin(); it != sender.frames.rend(); ++it) {
            const FrameFacts& g = *it;
            if (g.t <= f.t && same_way(g, f) && g.seq == f.seq && g.len == f.len &&
                g.tcp_flags == f.tcp_flags && flagged_as_resend(g.verdicts)) {
                const std::string why = explain(g, dir, true);
                return why.empty() ? why : "copy of a re-send (" + why + ")";
            }
        }
        return {};
    }
};

}  // namespace

Check unexplained_retransmissions(const CheckInputs& in) {
    const Explainer explainer{in};
    std::size_t flagged = 0;
    std::size_t timer = 0;
    std::vector<std::string> unexplained;
    for (const Vantage* v : {in.client, in.server}) {
        const bool client_vantage = v == in.client;
        for (const auto& f : v->frames) {
            if (!flagged_as_resend(f.verdicts)) {
                continue;
            }
            ++flagged;
            const bool from_client = in.from_client(f);
            const auto dir = from_client ? packet::Direction::client_to_server
                                         : packet::Direction::server_to_client;
            const std::string why = explainer.explain(f, dir, from_client == client_vantage);
            if (why.empty()) {
                unexplained.push_back(std::string(client_vantage ? "client" : "server") +
                                      " frame " + std::to_string(f.frame));
            }
            timer += why.find("timer re-send") != std::string::npos ? 1 : 0;
        }
    }
    Check c;
    c.name = "retransmissions";
    c.expected =
        "no flagged re-send at either end that the wire does not explain (a loss or reorder "
        "before it, or a timer that fired before the ACK was back)";
    c.observed = std::to_string(flagged) + " flagged frames";
    if (timer > 0) {
        c.observed += ", " + std::to_string(timer) + " of them timer re-sends of segments that " +
                      "had arrived (their ACK was late)";
    }
    if (!unexplained.empty()) {
        c.observed += "; unexplained: " + first_items(unexplained);
    }
    c.pass = unexplained.empty();
    c.reason =
        "each frame flagged retransmission, fast/spurious retransmission or out-of-order, "
        "in either capture, against the wire's losses, reorders and duplicates";
    return c;
}

Check receiver_flags_path_faults(const CheckInputs& in, Kind kind) {
    const bool reorders = kind == Kind::reordered;
    std::size_t on_wire = 0;
    std::size_t judged = 0;
    std::vector<std::string> unflagged;
    for (const auto& fault : in.faults) {
        if (fault.kind != kind || fault.dir != packet::Direction::client_to_server ||
            !fault.received_frame) {
            continue;
        }
        ++on_wire;
        // A pure ACK carries no sequence space to be out of order in; a reordered segment that
        // nothing with a higher sequence overtook is in order at the receiver.
        const FrameFacts* arrival = nullptr;
        bool overtaken = false;
        for (const auto& f : in.server->frames) {
            if (f.frame == *fault.received_frame) {
                arrival = &f;
                break;
            }
            overtaken = overtaken ||
                        (same_way(f, fault.packet) && SeqNum(f.seq) > SeqNum(fault.packet.seq));
        }
        if (arrival == nullptr || !fault.packet.carries_sequence() || (reorders && !overtaken)) {
            continue;
        }
        ++judged;
        if (!flagged_as_resend(arrival->verdicts)) {
            unflagged.push_back("server frame " + std::to_string(arrival->frame));
        }
    }
    Check c;
    c.name = reorders ? "receiver_out_of_order" : "receiver_duplicates";
    const std::string what = reorders ? "reordered" : "duplicated";
    c.expected = "the path " + what + " client->server segments, and the server's analysis " +
                 "flags each " + what + " data segment (out-of-order or retransmission)";
    c.observed = std::to_string(on_wire) + " " + what + " on the wire, " + std::to_string(judged) +
                 " of them data segments" + (reorders ? " overtaken by a later one" : "") + ", " +
                 std::to_string(judged - unflagged.size()) + " flagged";
    if (!unflagged.empty()) {
        c.observed += "; not flagged: " + first_items(unflagged);
    }
    c.pass = on_wire > 0 && unflagged.empty();
    c.reason = "the two-capture diff's " + what + " packets, looked up in the server's capture";
    return c;
}

}  // namespace tcplab::scenario::detail
