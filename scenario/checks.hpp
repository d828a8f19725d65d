#pragma once
// The point of a scenario: compare what the analyzer concluded from the captures with what the
// path really did (the forwarder's ledger, the two vantage points) and with what the traffic
// itself reported (completion, payload digests). Each check is {name, expected, observed, pass}.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "netem/impair/ledger.hpp"
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

// The ledger lines the checks judge: TCP packets only (the traffic is TCP; a UDP or ICMP line,
// e.g. a DNS query or an ICMP error the path dropped, names nothing the analyzer reports on).
std::vector<netem::LedgerEntry> tcp_faults(std::vector<netem::LedgerEntry> ledger);

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
    const Vantage* client = nullptr;         // client-side capture
    const Vantage* server = nullptr;         // server-side capture
    std::vector<netem::LedgerEntry> faults;  // TCP lines of the ledger; empty with tc
    bool have_ledger = false;
    std::vector<TrafficOutcome> traffic;
};

std::vector<Check> run_checks(const CheckInputs& inputs);

nlohmann::json to_json(const Check& check);
// A fault as report.json's "injected" lists it, with the sender's view of the packet.
nlohmann::json to_json(const netem::LedgerEntry& fault, const CheckInputs& inputs);

}  // namespace tcplab::scenario
