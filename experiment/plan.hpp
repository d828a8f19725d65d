#pragma once
// An experiment file: a scenario file plus `vary.KEY = v1, v2, ...` lines (any scenario key, per
// direction too: vary.c2s.delay) and `seeds = 1-10` (or a list: 1, 4, 9). The cross product of
// the varied values is the set of cells; each (cell, seed) is one run. The plan is a pure
// function of the file, so every machine running a shard of it agrees on which run is which.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace tcplab::experiment {

struct Variable {
    std::string key;                  // a scenario key, e.g. "loss" or "c2s.delay"
    std::vector<std::string> values;  // as written
};

struct ExperimentSpec {
    std::filesystem::path file;
    std::string name;           // file stem
    std::string scenario_text;  // the file without its vary./seeds lines: a scenario file
    std::vector<Variable> vary;
    std::vector<std::uint64_t> seeds;  // default {1}
};

using Cell = std::vector<std::pair<std::string, std::string>>;  // key -> value, in vary order

struct PlannedRun {
    std::size_t index = 0;  // 0-based position in the whole plan
    Cell cell;
    std::uint64_t seed = 1;
    std::string dir;  // relative run directory, e.g. "loss-5_cc-reno/seed-1"

    // The `scenario run` flags that make this run: one --KEY VALUE per varied key, and --seed.
    std::vector<std::string> flags() const;
};

// Throws UsageError naming file:line for a bad vary/seeds line, and any error the scenario parser
// reports for a cell (each cell is loaded once, so a bad value fails before anything runs).
ExperimentSpec parse_experiment(const std::string& text, const std::filesystem::path& file);
ExperimentSpec load_experiment(const std::filesystem::path& file);

std::vector<PlannedRun> plan_runs(const ExperimentSpec& spec);

// Shard I of N (1-based): the runs whose index % N == I - 1. Deterministic, so N machines each
// running one shard cover the plan exactly once. Throws UsageError for a bad I/N.
std::vector<PlannedRun> shard_of(const std::vector<PlannedRun>& runs, int shard, int shards);
// "2/4" -> {2, 4}; UsageError naming the flag otherwise.
std::pair<int, int> parse_shard(const std::string& text);

}  // namespace tcplab::experiment
