#include "scenario/wire_truth.hpp"

#include <algorithm>

#include "packet/format.hpp"
#include "packet/tcp.hpp"

namespace tcplab::scenario {

namespace {

namespace tf = packet::tcp_flag;
using packet::Direction;

void add(std::vector<PathFault>& out, PathFault::Kind kind, Direction dir,
         const std::vector<analyzer::DiffPacket>& packets) {
    for (const auto& p : packets) {
        PathFault f;
        f.kind = kind;
        f.dir = dir;
        f.packet = p.packet;
        f.sent_frame = p.sent_frame;
        f.sent_t = p.sent_time;
        if (p.received_frame) {
            f.received_frame = *p.received_frame;
        }
        f.received_t = p.received_time;
        out.push_back(std::move(f));
    }
}

WireTruth::Delay delay_of(const analyzer::DirectionDiff& d) {
    return {d.delay_min_ms, d.delay_mean_ms, d.delay_max_ms};
}

// Two copies are the same segment for counting transmissions: same way, same sequence space and
// SYN/FIN; a pure ACK is named by what it acknowledges (netem/forwarder/detail/packet_names.hpp).
bool same_segment(const packet::PacketRecord& a, const packet::PacketRecord& b) {
    if (!(a.src == b.src && a.dst == b.dst)) {
        return false;
    }
    if (a.is_pure_ack() || b.is_pure_ack()) {
        return a.is_pure_ack() && b.is_pure_ack() && a.ack == b.ack;
    }
    constexpr std::uint16_t kSynFinRst = tf::kSyn | tf::kFin | tf::kRst;
    return a.seq == b.seq && a.len == b.len &&
           (a.tcp_flags & kSynFinRst) == (b.tcp_flags & kSynFinRst);
}

}  // namespace

std::string action_name(PathFault::Kind kind) {
    switch (kind) {
        case PathFault::Kind::dropped:
            return "drop";
        case PathFault::Kind::duplicated:
            return "duplicate";
        case PathFault::Kind::reordered:
            return "reorder";
        case PathFault::Kind::corrupted:
            return "corrupt";
    }
    return "?";
}

WireTruth wire_truth(const analyzer::PathDiff& diff, std::optional<double> captures_stopped_at) {
    WireTruth out;
    for (const Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        const analyzer::DirectionDiff& d = diff.get(dir);
        add(out.faults, PathFault::Kind::dropped, dir, d.drops);
        add(out.faults, PathFault::Kind::duplicated, dir, d.duplicates);
        add(out.faults, PathFault::Kind::reordered, dir, d.reorders);
        add(out.faults, PathFault::Kind::corrupted, dir, d.corruptions);
    }
    out.c2s_delay = delay_of(diff.client_to_server);
    out.s2c_delay = delay_of(diff.server_to_client);
    out.c2s_sent = diff.client_to_server.sent;
    out.c2s_received = diff.client_to_server.received;
    out.s2c_sent = diff.server_to_client.sent;
    out.s2c_received = diff.server_to_client.received;
    if (captures_stopped_at) {
        // The latest moment a packet could leave and still be seen arriving: the path's largest
        // measured one-way delay (plus a millisecond of capture latency) before the stop.
        const double worst_ms =
            std::max(out.c2s_delay.max_ms.value_or(0), out.s2c_delay.max_ms.value_or(0)) + 1.0;
        const double last_arrival_sent = *captures_stopped_at - worst_ms / 1e3;
        const auto in_flight =
            std::stable_partition(out.faults.begin(), out.faults.end(), [&](const PathFault& f) {
                return f.kind != PathFault::Kind::dropped || f.sent_t <= last_arrival_sent;
            });
        out.in_flight_at_stop.assign(in_flight, out.faults.end());
        out.faults.erase(in_flight, out.faults.end());
    }
    std::stable_sort(out.faults.begin(), out.faults.end(),
                     [](const PathFault& a, const PathFault& b) { return a.sent_t < b.sent_t; });
    return out;
}

std::vector<PathFault> tcp_faults(const std::vector<PathFault>& faults) {
    std::vector<PathFault> out;
    std::copy_if(faults.begin(), faults.end(), std::back_inserter(out),
                 [](const PathFault& f) { return f.packet.is_tcp(); });
    return out;
}

nlohmann::json to_json(const PathFault& fault, const Vantage& sender) {
    const packet::PacketRecord& p = fault.packet;
    nlohmann::json j = {{"t", fault.sent_t},
                        {"direction", to_string(fault.dir)},
                        {"src", p.src.to_string()},
                        {"dst", p.dst.to_string()},
                        {"proto", packet::protocol_name(p.protocol)},
                        {"action", action_name(fault.kind)},
                        {"source", fault.source},
                        {"sent_frame", fault.sent_frame}};
    if (fault.received_frame) {
        j["received_frame"] = *fault.received_frame;
        j["delay_ms"] = (*fault.received_t - fault.sent_t) * 1e3;
    }
    if (!fault.reason.empty()) {
        j["reason"] = fault.reason;
    }
    if (p.ip_id) {
        j["ip_id"] = *p.ip_id;
    }
    if (!p.is_tcp()) {
        j["len"] = p.len;
        return j;
    }
    j["flags"] = packet::flag_names(p.tcp_flags);
    j["seq"] = p.seq;
    j["ack"] = p.ack;
    j["len"] = p.len;
    // Relative numbers and the transmission number as the sender's capture shows them.
    std::optional<std::uint32_t> isn;
    std::optional<std::uint32_t> peer_isn;
    int transmission = 0;
    int copies = 0;
    for (const auto& f : sender.frames) {
        if (f.src == p.src && f.dst == p.dst && f.has_flag(tf::kSyn) && !isn) {
            isn = f.seq;
        } else if (f.src == p.dst && f.dst == p.src && f.has_flag(tf::kSyn) && !peer_isn) {
            peer_isn = f.seq;
        }
        if (same_segment(f, p)) {
            ++copies;
            transmission += f.frame <= fault.sent_frame ? 1 : 0;
        }
    }
    if (isn) {
        j["relative_seq"] = p.seq - *isn;
    }
    if (peer_isn && p.is_pure_ack()) {
        j["relative_ack"] = p.ack - *peer_isn;
    }
    if (transmission > 0) {
        j["transmission"] = transmission;
    }
    j["copies_sent"] = copies;
    return j;
}

nlohmann::json to_json(const WireTruth& truth) {
    auto direction = [](std::uint64_t sent, std::uint64_t received, const WireTruth::Delay& d) {
        nlohmann::json j = {{"sent", sent}, {"received", received}};
        if (d.min_ms) {
            j["delay_ms"] = {{"min", *d.min_ms}, {"mean", *d.mean_ms}, {"max", *d.max_ms}};
        }
        return j;
    };
    nlohmann::json counts = nlohmann::json::object();
    for (const auto& f : truth.faults) {
        const std::string key = to_string(f.dir) + "_" + action_name(f.kind);
        counts[key] = counts.value(key, 0) + 1;
    }
    return {{"c2s", direction(truth.c2s_sent, truth.c2s_received, truth.c2s_delay)},
            {"s2c", direction(truth.s2c_sent, truth.s2c_received, truth.s2c_delay)},
            {"faults", counts},
            {"in_flight_at_stop", truth.in_flight_at_stop.size()}};
}

}  // namespace tcplab::scenario
