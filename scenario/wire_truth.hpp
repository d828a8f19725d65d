#pragma once
// The ground truth of every check, on every backend: what the path did to each packet, derived
// from the two captures alone (analyzer/path_diff.hpp matches each packet the client's capture
// saw leave with its arrival in the server's capture, and back). tc netem keeps no record of its
// decisions; the userspace forwarder's ledger becomes a cross-check of this truth
// (scenario/ledger_check.hpp), never its source.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/path_diff.hpp"
#include "packet/direction.hpp"
#include "packet/packet_record.hpp"
#include "scenario/vantage.hpp"

namespace tcplab::scenario {

// One thing the path did to one packet, as the two captures show it.
struct PathFault {
    enum class Kind { dropped, duplicated, reordered, corrupted };
    Kind kind = Kind::dropped;
    packet::Direction dir = packet::Direction::client_to_server;
    packet::PacketRecord packet;
    std::uint64_t sent_frame = 0;  // record number in the sender's capture (0: unknown)
    double sent_t = 0;             // seconds since the epoch, sender's capture
    std::optional<std::uint64_t> received_frame;  // in the receiver's capture
    std::optional<double> received_t;
    std::string source = "wire";  // "ledger+wire" once the forwarder's ledger names it too
    std::string reason;           // the ledger's reason ("random loss 10%"), when it has one

    // The receiver's TCP never gets this copy intact, so the sender must re-send it.
    bool loses_packet() const { return kind == Kind::dropped || kind == Kind::corrupted; }
};

// "drop", "duplicate", "reorder", "corrupt": the ledger's action names.
std::string action_name(PathFault::Kind kind);

struct WireTruth {
    std::vector<PathFault> faults;  // every protocol, sorted by the time the sender sent it
    // Sent within the path's delay of the moment the captures stopped: the receiver's capture
    // could not see them arrive, so they are neither delivered nor lost.
    std::vector<PathFault> in_flight_at_stop;  // kind dropped, not in `faults`
    struct Delay {
        std::optional<double> min_ms, mean_ms, max_ms;
    };
    Delay c2s_delay, s2c_delay;  // one-way delay of the packets that arrived
    std::uint64_t c2s_sent = 0, c2s_received = 0, s2c_sent = 0, s2c_received = 0;
};

// `captures_stopped_at`: when the first capture was stopped (seconds since the epoch); a drop sent
// later than that minus the path's largest measured delay is counted as in flight instead.
WireTruth wire_truth(const analyzer::PathDiff& diff, std::optional<double> captures_stopped_at);

// The TCP faults only: what the checks judge (a UDP or ICMP packet names nothing the analyzer
// reports on).
std::vector<PathFault> tcp_faults(const std::vector<PathFault>& faults);

// A fault as report.json's "injected" lists it, with the sender's view of the packet: its
// relative sequence (and, for a pure ACK, acknowledgement) number and which transmission of that
// segment it was.
nlohmann::json to_json(const PathFault& fault, const Vantage& sender);
nlohmann::json to_json(const WireTruth& truth);  // the per-direction summary for report.json

}  // namespace tcplab::scenario
