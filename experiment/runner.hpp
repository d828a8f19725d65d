#pragma once
// Runs an experiment's planned runs, each as its own `tcplab scenario run` process (its own
// topology; nothing shared but the machine), `jobs` of them at once, then writes results.csv,
// summary.csv and index.html. `merge` makes the same three files from the run directories of
// several shards. The library prints nothing: progress goes to a callback.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "experiment/plan.hpp"
#include "experiment/results.hpp"

namespace tcplab::experiment {

struct Progress {
    std::size_t done = 0, total = 0, failed = 0, skipped = 0;
    double eta_s = 0;
    const RunResult* last = nullptr;  // the run that just finished
};

struct RunOptions {
    std::filesystem::path out_dir;
    std::filesystem::path binary;  // the tcplab to run each scenario with
    std::string backend = "auto";
    int jobs = 1;
    int shard = 1, shards = 1;
    bool resume = false;  // skip runs whose report.json is complete
    std::function<void(const Progress&)> progress;
};

struct Outcome {
    std::vector<RunResult> results;  // of the runs this invocation covers (its shard)
    std::size_t failed = 0;          // a check failed, or the run did not finish
};

// Throws UsageError/EnvironmentError before the first run for a bad plan or output directory.
Outcome run_experiment(const ExperimentSpec& spec, const RunOptions& options);

// Combines shard directories (each written by run_experiment with the same file) into out_dir:
// the run directories copied, and results/summary/report over all of them. Throws UsageError
// when the shards come from different experiment files or a planned run is in none of them.
Outcome merge_experiments(const std::vector<std::filesystem::path>& shard_dirs,
                          const std::filesystem::path& out_dir);

}  // namespace tcplab::experiment
