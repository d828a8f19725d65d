#pragma once
// The point of a scenario: compare what the analyzer concluded from the captures with what the
// path really did (the wire truth of the two vantage points, scenario/wire_truth.hpp) and with
// what the traffic itself reported (completion, payload digests). Each check is {name, expected,
// observed, pass}; every backend runs the same ones.
#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenario/spec.hpp"
#include "scenario/vantage.hpp"
#include "scenario/wire_truth.hpp"

namespace tcplab::scenario {

struct Check {
    std::string name;
    std::string expected;
    std::string observed;
    bool pass = false;
    std::string reason;  // why it passed or failed, in words
};

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
    packet::IpAddress client_address;                       // the built-in traffic's
    std::vector<packet::IpAddress> other_client_addresses;  // user commands may use v4 and v6
    const Vantage* client = nullptr;                        // client-side capture
    const Vantage* server = nullptr;                        // server-side capture
    std::vector<PathFault> faults;  // what the path did to TCP packets (wire truth)
    double round_trip_s = 0;        // the path's measured round trip (mean delays)
    std::vector<TrafficOutcome> traffic;

    // Sent by the client side (any of its addresses).
    bool from_client(const packet::PacketRecord& p) const {
        return p.src.address == client_address ||
               std::find(other_client_addresses.begin(), other_client_addresses.end(),
                         p.src.address) != other_client_addresses.end();
    }
};

std::vector<Check> run_checks(const CheckInputs& inputs);

nlohmann::json to_json(const Check& check);
}  // namespace tcplab::scenario
