#pragma once
// Leftovers of killed runs: which runs are stale, which tl<N>-* namespaces are orphans, and
// removing them (`tcplab net down --stale`, `net down N`, `net status`).
//
// The rule (exact, and safe against runs being created at the same moment):
//  * A run is the state file run-<N>.json. It is stale iff its owner process is dead: no process
//    with the recorded pid and the recorded start time (/proc/<pid>/stat field 22), so a recycled
//    pid still counts as dead. Detached runs are never stale. Removing a stale run deletes exactly
//    the objects its own file lists (written before each object was created), in reverse order,
//    then the file. Unreadable state files are reported, never removed by --stale (writes are
//    atomic, so such a file is damage from outside and its owner cannot be judged).
//  * An orphan is a tl<N>-* namespace with no run-<N>.json. tcplab's own runs cannot produce one
//    while they are alive: the state file exists (complete, via link(2)) before the first
//    namespace and is deleted after the last one. Other tools (test fixtures, benchmarks, a run
//    with another $TCPLAB_STATE_DIR) do make them, so an orphan is removed only by an explicit
//    `down --stale` (never by the automatic sweep at the start of a run), and only when
//      - still no run-<N>.json exists, checked while holding <state dir>/.lock, which every id
//        claim also holds: no run can claim N between the check and the removal;
//      - no process or thread is inside it (/proc/*/task/*/ns/net; threads that setns() into a
//        namespace are not processes) and no process holds a descriptor to it (/proc/*/fd);
//      - it is older than the grace period (default 10 min; age = nsfs inode time, set when the
//        namespace was named), so a fixture that just made it and has not entered it yet is safe.
//    Everything else is listed by `net status` with the reason it is kept.
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/command.hpp"
#include "netem/lab/run_state.hpp"

namespace tcplab::netem {

inline constexpr std::chrono::seconds kDefaultOrphanGrace{600};

struct StaleOptions {
    std::filesystem::path state_dir = default_state_dir();
    CommandRunner* runner = nullptr;
    // Also remove orphan namespaces that pass the rule above (`net down --stale` only).
    bool sweep_orphan_namespaces = false;
    std::chrono::seconds orphan_grace = kDefaultOrphanGrace;
    // When set, only these run ids are considered (tests; never touches other runs).
    std::optional<std::set<int>> only_ids;
};

enum class OrphanAction { remove, keep_recorded, keep_in_use, keep_young };
const char* to_string(OrphanAction action);

struct OrphanFacts {
    bool state_file_exists = false;
    std::string used_by;  // "pid 12 (sleep)", "thread 34 of pid 12 (tcplab)", ...; empty = unused
    std::chrono::seconds age{0};
};
// The orphan rule as a pure function (unit-tested).
OrphanAction judge_orphan(const OrphanFacts& facts, std::chrono::seconds grace);

struct OrphanNamespace {
    int run_id = 0;
    std::string name;
    OrphanFacts facts;
    OrphanAction action = OrphanAction::keep_recorded;
};

struct StalePlan {
    std::vector<RunRecord> runs;           // every state file, sorted by id
    std::vector<OrphanNamespace> orphans;  // tl<N>-* without a state file
    std::vector<RunRecord> stale() const;  // the runs `down --stale` removes
};

// What exists and what a sweep with these options would do. Read-only.
StalePlan plan_stale(const StaleOptions& options = {});

struct StaleReport {
    std::vector<std::string> removed;   // "run 7 (owner pid 1234 is gone): netns tl7-cli, ..."
    std::vector<std::string> failures;  // what could not be removed
};

// Removes stale runs (and orphans when options.sweep_orphan_namespaces), holding the lock.
StaleReport down_stale(const StaleOptions& options = {});

// `tcplab net down N`: removes run N (also an unreadable one). Refuses (EnvironmentError) when
// its owner is alive and not detached. Without a state file, removes the tl<N>-{cli,rtr,srv}
// namespaces that exist.
StaleReport down_run(int run_id, const StaleOptions& options = {});

// tl<N>-* namespaces under /run/netns: (N, name), sorted.
std::vector<std::pair<int, std::string>> lab_namespaces();
// Who keeps /run/netns/<name> in use: a process or thread inside it, or a process holding a
// descriptor to it; nullopt when nobody (or the namespace does not exist).
std::optional<std::string> namespace_user(const std::string& name);

}  // namespace tcplab::netem
