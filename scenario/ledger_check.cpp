#include "scenario/ledger_check.hpp"

#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "packet/format.hpp"
#include "scenario/detail/check_text.hpp"

namespace tcplab::scenario {

namespace {

using Kind = PathFault::Kind;

// What the path does not change about a packet, as both the ledger and the captures record it.
using Identity =
    std::tuple<int, packet::IpAddress, std::uint16_t, packet::IpAddress, std::uint16_t,
               std::uint8_t, std::uint16_t, std::uint32_t, std::uint32_t, std::uint32_t, int>;

Identity identity(packet::Direction dir, const packet::PacketRecord& p) {
    return {static_cast<int>(dir),
            p.src.address,
            p.src.port,
            p.dst.address,
            p.dst.port,
            p.protocol,
            p.tcp_flags,
            p.seq,
            p.ack,
            p.len,
            p.ip_id ? int{*p.ip_id} : -1};
}

// The wire faults a ledger action can show as. A corruption that hit the header so hard that the
// arrival matches nothing shows as a drop. A "reorder" packet is sent at once, ahead of the delay
// queue (netem's meaning): on the wire the packets it overtook are the late ones, so the
// reordered packet itself only must arrive.
std::vector<Kind> wire_kinds_of(const std::string& action) {
    if (action == "drop" || action == "queue_drop") {
        return {Kind::dropped};
    }
    if (action == "corrupt") {
        return {Kind::corrupted, Kind::dropped};
    }
    if (action == "duplicate") {
        return {Kind::duplicated};
    }
    return {};
}

std::string describe(packet::Direction dir, const std::string& action,
                     const packet::PacketRecord& p) {
    std::string out = to_string(dir) + " " + action + " " + packet::protocol_name(p.protocol);
    if (p.is_tcp()) {
        out += " [" + packet::flag_names(p.tcp_flags) + "] seq " + std::to_string(p.seq) + " len " +
               std::to_string(p.len);
    }
    return out;
}

struct Tally {
    std::size_t claimed = 0;
    std::size_t queue_drops = 0;
    std::size_t sent_ahead = 0;     // "reorder" lines: delivered ahead of the delay queue
    std::size_t in_flight = 0;      // a loss the captures stopped too early to see
    std::size_t after_stop = 0;     // acted on after the captures stopped
    std::size_t host_reorders = 0;  // swapped outside the forwarder (veth's per-CPU queues)
    std::vector<std::string> missing_on_wire;
    std::vector<std::string> missing_in_ledger;
};

// Claims, for each ledger action, a wire fault of the same packet and a matching kind.
// The forwarder's clock starts a few ms after the runner noted its start, so "after the stop" has
// that much slack.
constexpr double kClockSlackS = 0.010;

void claim(const std::vector<netem::LedgerEntry>& ledger, WireTruth& truth,
           std::optional<double> captures_stopped_t, std::vector<bool>& claimed, Tally& tally) {
    std::vector<PathFault>& faults = truth.faults;
    std::multimap<Identity, std::size_t> by_identity;
    std::set<Identity> lost;
    std::multiset<Identity> in_flight;  // sent just before the captures stopped: fate unknown
    for (const auto& f : truth.in_flight_at_stop) {
        in_flight.insert(identity(f.dir, f.packet));
    }
    for (std::size_t i = 0; i < faults.size(); ++i) {
        by_identity.emplace(identity(faults[i].dir, faults[i].packet), i);
        if (faults[i].loses_packet()) {
            lost.insert(identity(faults[i].dir, faults[i].packet));
        }
    }
    for (const auto& e : ledger) {
        const Identity id = identity(e.dir, e.packet);
        if (e.action == "reorder" && lost.count(id) == 0) {
            ++tally.sent_ahead;
            continue;
        }
        const auto kinds = wire_kinds_of(e.action);
        if (kinds.empty() && e.action != "reorder") {
            continue;  // "delay": every packet has one; the wire's one-way delays show them
        }
        std::optional<std::size_t> match;
        for (const Kind kind : kinds) {
            for (auto [it, end] = by_identity.equal_range(id); it != end && !match; ++it) {
                if (!claimed[it->second] && faults[it->second].kind == kind) {
                    match = it->second;
                }
            }
        }
        if (match) {
            claimed[*match] = true;
            faults[*match].source = "ledger+wire";
            faults[*match].reason = e.reason;
            ++tally.claimed;
            tally.queue_drops += e.action == "queue_drop" ? 1 : 0;
        } else if (const auto f = in_flight.find(id); f != in_flight.end()) {
            in_flight.erase(f);
            ++tally.in_flight;
        } else if (captures_stopped_t && e.t >= *captures_stopped_t - kClockSlackS) {
            ++tally.after_stop;  // e.g. a last ACK sent after the client's capture stopped
        } else {
            tally.missing_on_wire.push_back(describe(e.dir, e.action, e.packet));
        }
    }
}

// Wire faults no ledger line names: losses up to the ring's overflow count in that direction,
// and late packets the ledger delayed (a "reorder" packet or jitter overtook them), are explained.
// So is a packet reordered outside the forwarder: veth hands each packet to the receiving CPU's
// backlog, so two packets sent from two CPUs a few microseconds apart can swap there, and then
// wait their turn in the forwarder's ring behind it, however long a loaded host makes that. The
// forwarder counts every frame it sent after a later arrival (ForwarderStats::overtaken): in a
// direction where it counted none, it kept the order it was given. Where it did reorder (jitter,
// reorder, a duplicate's delay) only a packet late by no more than the host's own latency (its
// one-way delay within 1 ms of the direction's mean) is put down to the host.
bool reordered_outside_forwarder(const PathFault& f, const WireTruth& truth,
                                 const netem::ForwarderStats& stats) {
    if (stats.get(f.dir).overtaken == 0) {
        return true;
    }
    const auto& delay =
        f.dir == packet::Direction::client_to_server ? truth.c2s_delay : truth.s2c_delay;
    if (!f.received_t || !delay.mean_ms) {
        return false;
    }
    const double late_ms = (*f.received_t - f.sent_t) * 1e3 - *delay.mean_ms;
    return late_ms <= 1.0;
}

std::size_t judge_unclaimed(const std::vector<netem::LedgerEntry>& ledger, const WireTruth& truth,
                            const std::vector<bool>& claimed, const netem::ForwarderStats& stats,
                            Tally& tally) {
    const std::vector<PathFault>& faults = truth.faults;
    std::set<Identity> delayed;
    for (const auto& e : ledger) {
        if (e.action == "delay") {
            delayed.insert(identity(e.dir, e.packet));
        }
    }
    std::map<packet::Direction, std::uint64_t> ring_left = {
        {packet::Direction::client_to_server, stats.client_to_server.ring_drops},
        {packet::Direction::server_to_client, stats.server_to_client.ring_drops}};
    std::size_t ring_explained = 0;
    for (std::size_t i = 0; i < faults.size(); ++i) {
        const PathFault& f = faults[i];
        if (claimed[i]) {
            continue;
        }
        if (f.kind == Kind::dropped && ring_left[f.dir] > 0) {
            --ring_left[f.dir];
            ++ring_explained;
        } else if (f.kind == Kind::reordered && delayed.count(identity(f.dir, f.packet)) != 0) {
            continue;
        } else if (f.kind == Kind::reordered && reordered_outside_forwarder(f, truth, stats)) {
            ++tally.host_reorders;
        } else {
            tally.missing_in_ledger.push_back(describe(f.dir, action_name(f.kind), f.packet));
        }
    }
    return ring_explained;
}

}  // namespace

Check ledger_matches_wire(const std::vector<netem::LedgerEntry>& ledger, WireTruth& truth,
                          const netem::ForwarderStats& stats,
                          std::optional<double> captures_stopped_t) {
    std::vector<bool> claimed(truth.faults.size(), false);
    Tally tally;
    claim(ledger, truth, captures_stopped_t, claimed, tally);
    const std::size_t ring = judge_unclaimed(ledger, truth, claimed, stats, tally);
    Check c;
    c.name = "ledger_matches_wire";
    c.expected =
        "every drop, corruption, duplicate and reorder in the forwarder's ledger shows on the "
        "wire, and every fault on the wire is in the ledger";
    c.observed = std::to_string(tally.claimed) +
                 " ledger drops, duplicates and corruptions found on the wire";
    if (tally.queue_drops > 0) {
        c.observed += " (" + std::to_string(tally.queue_drops) +
                      " of them queue drops: the rate queue was full, not injected loss)";
    }
    if (tally.sent_ahead > 0) {
        c.observed += "; " + std::to_string(tally.sent_ahead) +
                      " sent ahead of the delay queue (reorder) and delivered";
    }
    if (tally.in_flight > 0) {
        c.observed += "; " + std::to_string(tally.in_flight) +
                      " sent as the captures stopped (the wire cannot tell their fate)";
    }
    if (tally.host_reorders > 0) {
        c.observed += "; " + std::to_string(tally.host_reorders) +
                      " reordered by the host, outside the forwarder";
    }
    if (tally.after_stop > 0) {
        c.observed += "; " + std::to_string(tally.after_stop) +
                      " acted on as the captures stopped (no capture to show them)";
    }
    if (ring > 0) {
        c.observed += "; " + std::to_string(ring) +
                      " wire losses are the forwarder's receive-ring overflows (counted, not "
                      "logged)";
    }
    if (!tally.missing_on_wire.empty()) {
        c.observed +=
            "; in the ledger, not on the wire: " + detail::first_items(tally.missing_on_wire);
    }
    if (!tally.missing_in_ledger.empty()) {
        c.observed +=
            "; on the wire, not in the ledger: " + detail::first_items(tally.missing_in_ledger);
    }
    c.pass = tally.missing_on_wire.empty() && tally.missing_in_ledger.empty();
    c.reason =
        "ledger lines matched to the two-capture diff by direction, addresses, ports, flags, "
        "seq, ack, length and IP ID, occurrence by occurrence";
    return c;
}

}  // namespace tcplab::scenario
