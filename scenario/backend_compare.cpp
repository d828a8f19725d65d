#include "scenario/backend_compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analyzer/path_diff.hpp"
#include "base/errors.hpp"

namespace tcplab::scenario {

namespace fs = std::filesystem;
using analyzer::DiffOptions;
using analyzer::DirectionDiff;
using analyzer::PathDiff;

bool BackendComparison::pass() const {
    return std::all_of(rows.begin(), rows.end(),
                       [](const ComparisonRow& r) { return !r.judged || r.pass; });
}

namespace {

constexpr double kZ999 = 3.29;  // two-sided 99.9%

struct Run {
    nlohmann::json report;
    PathDiff diff;
    std::string label;
};

Run load_run(const fs::path& dir) {
    const fs::path file = dir / "report.json";
    std::ifstream in(file);
    if (!in) {
        throw UsageError(file.string() + ": cannot read (is " + dir.string() +
                         " a `scenario run --out` directory?)");
    }
    Run run;
    run.report = nlohmann::json::parse(in, nullptr, false);
    if (!run.report.is_object() || !run.report.contains("scenario")) {
        throw UsageError(file.string() + ": not a scenario report");
    }
    DiffOptions options;
    const auto& topology = run.report["setup"].value("topology", nlohmann::json::object());
    if (topology.contains("client")) {
        options.client_addresses = {topology["client"].get<std::string>()};
    }
    run.diff = analyzer::diff_captures(dir / "client.pcap", dir / "server.pcap", options);
    run.label = run.report.value("backend", "?") + " seed " +
                std::to_string(run.report.value("seed", 0ULL));
    return run;
}

// Whether any impairment key (e.g. "loss-gemodel=...", "c2s.delay=10") mentions `word`.
bool configures(const nlohmann::json& report, const std::string& word) {
    for (const auto& kv : report["setup"].value("impairment", nlohmann::json::array())) {
        if (kv.get<std::string>().find(word) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string format(const char* fmt, auto... args) {
    char buf[160];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

std::string rate_text(const DirectionDiff& d) {
    const double rate =
        d.sent == 0 ? 0 : 100.0 * static_cast<double>(d.dropped) / static_cast<double>(d.sent);
    return format("%llu/%llu (%.1f%%)", static_cast<unsigned long long>(d.dropped),
                  static_cast<unsigned long long>(d.sent), rate);
}

ComparisonRow loss_row(const std::string& dir, const DirectionDiff& a, const DirectionDiff& b,
                       bool correlated) {
    ComparisonRow row{
        dir + " loss (dropped/sent)", rate_text(a), rate_text(b), "", !correlated, true};
    if (a.sent == 0 || b.sent == 0) {
        row.judged = false;
        row.verdict = "no packets in one run";
        return row;
    }
    const double na = static_cast<double>(a.sent);
    const double nb = static_cast<double>(b.sent);
    const double pa = static_cast<double>(a.dropped) / na;
    const double pb = static_cast<double>(b.dropped) / nb;
    const double pooled = static_cast<double>(a.dropped + b.dropped) / (na + nb);
    const double se = std::sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
    const double z = se == 0 ? 0 : (pa - pb) / se;
    row.pass = std::abs(z) < kZ999;
    row.verdict = correlated
                      ? format("z = %.2f (correlated loss: not judged by a binomial test)", z)
                      : format("z = %.2f, %s 3.29 (99.9%%)", z, row.pass ? "within" : "OUTSIDE");
    return row;
}

std::string delay_text(const DirectionDiff& d) {
    if (!d.delay_mean_ms) {
        return "n/a";
    }
    return format("%.2f ms (%.2f–%.2f)", *d.delay_mean_ms, *d.delay_min_ms, *d.delay_max_ms);
}

// Without a configured delay the one-way delay is only the path's own latency (the forwarder or
// the qdisc, and the host's load): shown, not judged.
ComparisonRow delay_row(const std::string& dir, const DirectionDiff& a, const DirectionDiff& b,
                        bool delay_configured) {
    ComparisonRow row{
        dir + " one-way delay, mean (min–max)", delay_text(a), delay_text(b), "", true, true};
    if (!a.delay_mean_ms || !b.delay_mean_ms) {
        row.judged = false;
        row.verdict = "no matched packets in one run";
        return row;
    }
    const double diff = std::abs(*a.delay_mean_ms - *b.delay_mean_ms);
    if (!delay_configured) {
        row.judged = false;
        row.verdict =
            format("no delay configured: the path's own latency (means differ by %.2f ms)", diff);
        return row;
    }
    const double tolerance = std::max(5.0, 0.1 * std::max(*a.delay_mean_ms, *b.delay_mean_ms));
    row.pass = diff <= tolerance;
    row.verdict = format("means differ by %.2f ms, tolerance %.2f ms", diff, tolerance);
    return row;
}

std::string counts_text(const DirectionDiff& d) {
    return format("%llu / %llu / %llu", static_cast<unsigned long long>(d.duplicated),
                  static_cast<unsigned long long>(d.reordered),
                  static_cast<unsigned long long>(d.corrupted));
}

std::string checks_text(const nlohmann::json& report) {
    std::size_t passed = 0;
    std::size_t total = 0;
    for (const auto& c : report.value("checks", nlohmann::json::array())) {
        ++total;
        passed += c.value("pass", false) ? 1 : 0;
    }
    return std::to_string(passed) + "/" + std::to_string(total) + " pass";
}

}  // namespace

BackendComparison compare_runs(const fs::path& run_a, const fs::path& run_b) {
    const Run a = load_run(run_a);
    const Run b = load_run(run_b);
    BackendComparison out;
    out.scenario = a.report.value("scenario", "?");
    if (b.report.value("scenario", "?") != out.scenario) {
        throw UsageError("cannot compare runs of different scenarios: " + out.scenario + " (" +
                         run_a.string() + ") and " + b.report.value("scenario", "?") + " (" +
                         run_b.string() + ")");
    }
    out.label_a = a.label;
    out.label_b = b.label;
    const bool correlated =
        configures(a.report, "gemodel") || configures(a.report, "loss-correlation");
    const bool delayed = configures(a.report, "delay");
    for (const packet::Direction d :
         {packet::Direction::client_to_server, packet::Direction::server_to_client}) {
        const std::string name = to_string(d);
        out.rows.push_back(loss_row(name, a.diff.get(d), b.diff.get(d), correlated));
        out.rows.push_back(delay_row(name, a.diff.get(d), b.diff.get(d), delayed));
        out.rows.push_back({name + " duplicated / reordered / corrupted",
                            counts_text(a.diff.get(d)), counts_text(b.diff.get(d)), "", false,
                            true});
    }
    ComparisonRow checks{"verdicts vs own ground truth (checks)",
                         checks_text(a.report),
                         checks_text(b.report),
                         "every check of both runs passed",
                         true,
                         true};
    checks.pass = a.report.value("pass", false) && b.report.value("pass", false);
    if (!checks.pass) {
        checks.verdict = "a run failed its own checks";
    }
    out.rows.push_back(checks);
    return out;
}

std::string render_comparison(const BackendComparison& c) {
    std::string out = "### " + c.scenario + ": " + c.label_a + " vs " + c.label_b + "\n\n";
    out += "| | " + c.label_a + " | " + c.label_b + " | agreement |\n|---|---|---|---|\n";
    for (const auto& r : c.rows) {
        const std::string verdict =
            !r.judged ? r.verdict : (r.pass ? "ok: " : "**DIFFERS**: ") + r.verdict;
        out += "| " + r.what + " | " + r.a + " | " + r.b + " | " + verdict + " |\n";
    }
    out += std::string("\n") + (c.pass() ? "PASS" : "FAIL") + " " + c.scenario + ": the two runs " +
           (c.pass() ? "agree" : "disagree") + "\n";
    return out;
}

}  // namespace tcplab::scenario
