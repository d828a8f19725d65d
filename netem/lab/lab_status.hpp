#pragma once
// `tcplab net status`: every run by state and the orphan namespaces, with what `net down --stale`
// would remove (the rule is in topology_stale.hpp). Read-only.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "netem/lab/run_state.hpp"
#include "netem/lab/topology_stale.hpp"

namespace tcplab::netem {

struct LabStatus {
    std::filesystem::path state_dir;
    std::chrono::seconds orphan_grace{0};
    std::vector<RunRecord> live;        // running or detached
    std::vector<RunRecord> stale;       // owner gone: `down --stale` removes them
    std::vector<RunRecord> unreadable;  // never removed by --stale
    std::vector<OrphanNamespace> orphans;
};

LabStatus lab_status(const StaleOptions& options);

// "netns tl1-cli", "link tl1-rtr/veth-rc"
std::string describe(const RunObject& object);
// What `down --stale` removes of a stale run, in that order (reverse creation order).
std::vector<std::string> stale_removals(const RunRecord& record);

// The document of `net status --format json`.
nlohmann::json to_json(const LabStatus& status);

}  // namespace tcplab::netem
