#pragma once
// Compares two runs of one scenario — typically the tc backend (real netem, e.g. inside User-Mode
// Linux) against the userspace forwarder with the same seed. Their random number generators
// differ, so they drop different packets: the comparison is statistical. Per direction, from the
// dual-vantage diff of each run's two captures (ground truth for any backend):
//   - loss rates must agree within a two-sided two-proportion z-test at 99.9% (|z| < 3.29) when
//     loss is independent; with correlated loss (Gilbert-Elliott, correlation) the binomial
//     model does not hold, so the rates are shown but not judged;
//   - mean one-way delays must agree within max(5 ms, 10%) when a delay is configured (without
//     one, the delay is the path's own latency under the host's load: shown, not judged);
//   - duplicated / reordered / corrupted counts are shown for the reader;
// and each run's own checks (the analyzer's verdicts against that backend's ground truth) must
// have passed.
#include <filesystem>
#include <string>
#include <vector>

namespace tcplab::scenario {

struct ComparisonRow {
    std::string what;
    std::string a;
    std::string b;
    std::string verdict;  // why it agrees or not; empty for rows shown only for information
    bool judged = false;
    bool pass = true;
};

struct BackendComparison {
    std::string scenario;
    std::string label_a;  // "userspace seed 10"
    std::string label_b;
    std::vector<ComparisonRow> rows;
    bool pass() const;
};

// Each directory is a `scenario run --out` directory (report.json, client.pcap, server.pcap).
// Throws UsageError naming the file when one is missing or unreadable.
BackendComparison compare_runs(const std::filesystem::path& run_a,
                               const std::filesystem::path& run_b);

// A Markdown table (readable as text, pasteable into README) and a final PASS/FAIL line.
std::string render_comparison(const BackendComparison& comparison);

}  // namespace tcplab::scenario
