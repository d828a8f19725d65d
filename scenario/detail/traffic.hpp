#pragma once
// Runs one traffic kind of a scenario across a live topology and reports what its endpoints saw.
#include <filesystem>

#include "netem/lab/topology.hpp"
#include "scenario/checks.hpp"
#include "scenario/spec.hpp"

namespace tcplab::scenario {

struct TrafficContext {
    const netem::Topology* topology = nullptr;
    bool ipv6 = false;
    std::uint64_t seed = 1;
    double timeout_s = 60;
    std::filesystem::path work_dir;  // CA and keys for TLS traffic (mode 0700, removed after)
    std::uint16_t port = 5001;       // each traffic run uses its own port
};

TrafficOutcome run_traffic(const TrafficSpec& spec, const TrafficContext& context);

}  // namespace tcplab::scenario
