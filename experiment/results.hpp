#pragma once
// The measured figures of every run of an experiment, read back from each run's report.json, and
// the tables made of them: results.csv (a row per run) and summary.csv (a row per cell: n, mean,
// median, sd and a 95% confidence interval of each figure).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/sample_stats.hpp"
#include "experiment/plan.hpp"

namespace tcplab::experiment {

// The figures, in column order: goodput_mbps, retransmissions, data_segments_dropped,
// rto_median_s, handshake_ms, c2s_loss, s2c_loss, c2s_delay_ms, s2c_delay_ms.
const std::vector<std::string>& figure_names();

struct RunResult {
    PlannedRun run;
    bool finished = false;  // report.json present and complete
    bool pass = false;
    std::string cc;                              // setup.cc of the report
    std::vector<std::optional<double>> figures;  // figure_names() order; nullopt: not measured
    std::vector<double> rtos_s;                  // every RTO of the run
    double mss = 1448;                           // bytes, for the Mathis bound
};

// Reads DIR/run.dir/report.json; finished = false when it is missing or unreadable.
RunResult read_result(const std::filesystem::path& dir, const PlannedRun& run);

struct CellSummary {
    Cell cell;
    std::vector<SampleStats> figures;  // figure_names() order
    std::size_t runs = 0;
    std::size_t passed = 0;
};
std::vector<CellSummary> summarize(const std::vector<RunResult>& results);

std::string results_csv(const ExperimentSpec& spec, const std::vector<RunResult>& results);
std::string summary_csv(const ExperimentSpec& spec, const std::vector<CellSummary>& cells);

}  // namespace tcplab::experiment
