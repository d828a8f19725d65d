#pragma once
// `tcplab net up` as library calls: a client-router-server topology with the tc backend's
// impairment on the router's egress. The steps are separate so the caller can report between
// them (and sweep stale runs first, as every run does):
//
//   check_impairment(options);                        // refuse before anything is created
//   const TcFeatures features = check_tc_here(options);
//   ImpairedLab lab(options, features);               // topology up, impairment applied
//   ... lab.read_stats(); lab.topology().down();
#include <optional>
#include <string>
#include <vector>

#include "base/command.hpp"
#include "netem/impair/impairment.hpp"
#include "netem/impair/tc_backend.hpp"
#include "netem/lab/topology.hpp"

namespace tcplab::netem {

struct LabOptions {
    TopologyOptions topology;
    Impairment impairment;
    bool impaired() const;  // some direction is not the identity
};

// UsageError when tc cannot express the impairment.
void check_impairment(const LabOptions& options);

// The commands `ImpairedLab` would run and tc's notes, without running anything.
struct LabDryRun {
    std::vector<Argv> commands;
    std::vector<std::string> notes;
};
LabDryRun dry_run(LabOptions options);

// Whether this machine can apply the impairment: the router must forward in the kernel
// (UsageError) and the kernel must have sch_netem (EnvironmentError). Detects sch_netem only when
// impaired; returns what tc supports.
TcFeatures check_tc_here(const LabOptions& options);

class ImpairedLab {
public:
    // Creates the topology, then applies the impairment when there is one.
    ImpairedLab(const LabOptions& options, const TcFeatures& features);

    Topology& topology() { return topology_; }
    const std::vector<std::string>& notes() const;  // tc's notes on what it could not honour
    std::optional<TcRunStats> read_stats() const;   // nullopt without impairment

private:
    Topology topology_;
    std::optional<TcBackend> tc_;
};

}  // namespace tcplab::netem
