#pragma once
// The point of a scenario: compare what the analyzer concluded from the captures with what the
// path really did (the forwarder's ledger, the two vantage points) and with what the traffic
// itself reported (completion, payload digests). Each check is {name, expected, observed, pass}.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenario/spec.hpp"
#include "scenario/vantage.hpp"

namespace tcplab::scenario {

struct Check {
    std::string name;
    std::string expected;
    std::string observed;
    bool pass = false;
    std::string reason;  // why it passed or failed, in words
};

// One fault the path applied to a packet, from the ledger (JSON lines).
struct InjectedFault {
    double t = 0;
    netem::Direction direction = netem::Direction::client_to_server;
    packet::Endpoint src;
    packet::Endpoint dst;
    std::string flags;      // Wireshark names, e.g. "SYN" or "PSH, ACK"
    std::uint32_t seq = 0;  // absolute
    std::uint32_t ack = 0;  // absolute
    std::uint32_t len = 0;
    std::string action;              // drop, queue_drop, corrupt, duplicate, delay, reorder
    std::uint32_t transmission = 0;  // which identical copy the path hit (1 = first); 0 unknown
    std::string reason;
    bool is_syn() const { return flags.find("SYN") != std::string::npos; }
    bool is_fin() const { return flags.find("FIN") != std::string::npos; }
    // Loses the segment for the receiver (a corrupted one fails its checksum there).
    bool loses_segment() const {
        return action == "drop" || action == "queue_drop" || action == "corrupt";
    }
    bool carries_sequence() const { return len > 0 || is_syn() || is_fin(); }
    bool is_pure_ack() const {
        return len == 0 && flags.find("ACK") != std::string::npos && !is_syn() && !is_fin() &&
               flags.find("RST") == std::string::npos;
    }
};

std::vector<InjectedFault> read_ledger(const std::string& path);

// What each traffic run reported.
struct TrafficOutcome {
    TrafficSpec spec;
    bool completed = false;
    bool integrity_checked = false;  // a digest was compared end to end
    bool integrity_ok = false;
    std::string detail;   // bytes, digest, TLS version/cipher, transcript summary, error
    nlohmann::json json;  // everything it reported, for report.json
};

struct CheckInputs {
    const ScenarioSpec* spec = nullptr;
    packet::IpAddress client_address;
    const Vantage* client = nullptr;    // client-side capture
    const Vantage* server = nullptr;    // server-side capture
    std::vector<InjectedFault> faults;  // empty with the tc backend
    bool have_ledger = false;
    std::vector<TrafficOutcome> traffic;
};

std::vector<Check> run_checks(const CheckInputs& inputs);

nlohmann::json to_json(const Check& check);
nlohmann::json to_json(const InjectedFault& fault, const CheckInputs& inputs);

}  // namespace tcplab::scenario
