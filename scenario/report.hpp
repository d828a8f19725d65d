#pragma once
// The record of one scenario run: report.json (everything needed to replay and audit it) and
// report.txt (the same as a readable table), plus the one-line verdict printed at the end.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenario/checks.hpp"
#include "scenario/run_metrics.hpp"

namespace tcplab::scenario {

struct RunReport {
    std::string scenario;
    std::string description;
    std::string backend;
    std::uint64_t seed = 0;
    int run_id = 0;
    std::filesystem::path out_dir;
    double seconds = 0;
    nlohmann::json setup;            // impairment keys, topology, commands, versions
    nlohmann::json captures;         // per vantage: file, records, kernel drops
    nlohmann::json backend_stats;    // forwarder counters or netem's own
    nlohmann::json injected;         // what the path did to each packet (the wire truth)
    nlohmann::json wire;             // per direction: sent, received, one-way delay, fault counts
    nlohmann::json reproducibility;  // whether the seed decides the faults, and why
    nlohmann::json labels = nlohmann::json::object();  // RunOptions::labels
    nlohmann::json verdicts;                           // analyzer counts per vantage
    nlohmann::json traffic;                            // what each traffic run reported
    std::vector<Check> checks;
    RunMetrics metrics;  // retransmissions, RTOs, handshake time, goodput

    bool pass() const;
    std::vector<std::string> failing() const;
};

void write_report_files(const RunReport& report);
// "PASS loss10 (12 checks, 4.2 s) — /path/report.txt" or "FAIL loss10: drops_retransmitted, ..."
std::string verdict_line(const RunReport& report);
std::string report_text(const RunReport& report);

}  // namespace tcplab::scenario
