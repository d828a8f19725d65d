#pragma once
// Runs a scenario end to end: topology, impairment backend, captures, traffic, analysis, checks,
// report. The library does the work and writes the files; what to print and which exit code
// follows is app/'s business (app/cmd_scenario.cpp).
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scenario/report.hpp"
#include "scenario/spec.hpp"

namespace tcplab::scenario {

// One progress line of a long run and the seconds since the run started.
using ProgressSink = std::function<void(double elapsed_s, const std::string& text)>;

struct RunOptions {
    std::filesystem::path out_dir;  // created; earlier results in it are removed first
    std::string backend = "auto";   // auto | tc | userspace
    ProgressSink progress;          // may be empty
    // Who runs the user's server and client commands (and owns the run directory then);
    // nullopt: root.
    std::optional<uid_t> command_uid;
    std::optional<gid_t> command_gid;
    // Recorded as report.json's "labels" (an experiment names the run's cell and seed there).
    std::vector<std::pair<std::string, std::string>> labels;
};

// One run. Throws UsageError / EnvironmentError / SystemError for bad input or an unusable
// machine (needs root); a failed check is in the report, not an exception.
RunReport run_scenario(const ScenarioSpec& spec, const RunOptions& options);

struct RepeatOptions {
    int repeat = 1;
    bool vary_seed = false;  // seed, seed+1, ... instead of one seed
    // After each run (1-based index): for a line per run while the others still run.
    std::function<void(int run, const RunReport& report)> run_done;
};

struct RepeatSummary {
    int runs = 0;
    int failures = 0;
    std::string table;  // statistics_table() over the runs' metrics
    std::filesystem::path summary_file;
    bool pass() const { return failures == 0; }
};

// `repeat` runs into options.out_dir/run-1..N, then summary.txt and summary.json beside them.
// The same seed every run shows what is reproducible (the same segments dropped) and how much
// the rest (timing, RTOs, goodput) spreads; vary_seed makes it a sweep over seed, seed+1, ...
RepeatSummary repeat_scenario(const ScenarioSpec& spec, const RunOptions& options,
                              const RepeatOptions& repeat);

}  // namespace tcplab::scenario
