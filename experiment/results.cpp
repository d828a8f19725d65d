#include "experiment/results.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace tcplab::experiment {

namespace {

std::optional<double> number(const nlohmann::json& j) {
    return j.is_number() ? std::optional<double>(j.get<double>()) : std::nullopt;
}

std::string csv_cell(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) {
        return text;
    }
    std::string out = "\"";
    for (const char c : text) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// The share of a direction's packets the wire shows lost.
std::optional<double> wire_loss(const nlohmann::json& report, const std::string& dir) {
    const auto& wire = report.value("wire", nlohmann::json::object());
    const double sent = wire.value(dir, nlohmann::json::object()).value("sent", 0.0);
    const double lost = wire.value("faults", nlohmann::json::object()).value(dir + "_drop", 0.0);
    return sent > 0 ? std::optional<double>(lost / sent) : std::nullopt;
}

std::optional<double> wire_delay(const nlohmann::json& report, const std::string& dir) {
    const auto& d = report.value("wire", nlohmann::json::object())
                        .value(dir, nlohmann::json::object())
                        .value("delay_ms", nlohmann::json::object());
    return number(d.value("mean", nlohmann::json()));
}

}  // namespace

const std::vector<std::string>& figure_names() {
    static const std::vector<std::string> names = {
        "goodput_mbps", "retransmissions", "data_segments_dropped", "rto_median_s", "handshake_ms",
        "c2s_loss",     "s2c_loss",        "c2s_delay_ms",          "s2c_delay_ms"};
    return names;
}

RunResult read_result(const std::filesystem::path& dir, const PlannedRun& run) {
    RunResult r;
    r.run = run;
    r.figures.assign(figure_names().size(), std::nullopt);
    std::ifstream in(dir / run.dir / "report.json");
    const auto report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!report.is_object() || !report.contains("pass")) {
        return r;
    }
    r.finished = true;
    r.pass = report.value("pass", false);
    r.cc = report.value("setup", nlohmann::json::object()).value("cc", "");
    const auto& m = report.value("metrics", nlohmann::json::object());
    for (const auto& rto : m.value("rto_s", nlohmann::json::array())) {
        if (rto.is_number()) {
            r.rtos_s.push_back(rto.get<double>());
        }
    }
    const auto handshake = number(m.value("handshake_s", nlohmann::json()));
    r.figures = {
        number(m.value("goodput_mbps", nlohmann::json())),
        number(m.value("retransmissions", nlohmann::json())),
        static_cast<double>(m.value("data_segments_dropped", nlohmann::json::array()).size()),
        r.rtos_s.empty() ? std::nullopt : std::optional<double>(sample_stats(r.rtos_s).median),
        handshake ? std::optional<double>(*handshake * 1000) : std::nullopt,
        wire_loss(report, "c2s"),
        wire_loss(report, "s2c"),
        wire_delay(report, "c2s"),
        wire_delay(report, "s2c")};
    return r;
}

std::vector<CellSummary> summarize(const std::vector<RunResult>& results) {
    std::vector<CellSummary> out;
    std::map<Cell, std::size_t> index;
    std::vector<std::vector<std::vector<double>>> values;  // cell -> figure -> values
    for (const auto& r : results) {
        auto [it, fresh] = index.emplace(r.run.cell, out.size());
        if (fresh) {
            out.push_back({r.run.cell, {}, 0, 0});
            values.emplace_back(figure_names().size());
        }
        CellSummary& c = out[it->second];
        ++c.runs;
        c.passed += r.pass ? 1 : 0;
        for (std::size_t f = 0; f < r.figures.size(); ++f) {
            if (r.figures[f]) {
                values[it->second][f].push_back(*r.figures[f]);
            }
        }
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        for (auto& v : values[i]) {
            out[i].figures.push_back(sample_stats(std::move(v)));
        }
    }
    return out;
}

std::string results_csv(const ExperimentSpec& spec, const std::vector<RunResult>& results) {
    std::string out;
    for (const auto& v : spec.vary) {
        out += csv_cell(v.key) + ",";
    }
    out += "seed,pass,run";
    for (const auto& f : figure_names()) {
        out += "," + f;
    }
    out += "\n";
    for (const auto& r : results) {
        for (const auto& kv : r.run.cell) {
            out += csv_cell(kv.second) + ",";
        }
        out += std::to_string(r.run.seed) + "," +
               (!r.finished ? "missing"
                : r.pass    ? "true"
                            : "false") +
               "," + csv_cell(r.run.dir);
        for (const auto& f : r.figures) {
            out += "," + (f ? fmt(*f) : std::string());
        }
        out += "\n";
    }
    return out;
}

std::string summary_csv(const ExperimentSpec& spec, const std::vector<CellSummary>& cells) {
    std::string out;
    for (const auto& v : spec.vary) {
        out += csv_cell(v.key) + ",";
    }
    out += "runs,passed";
    for (const auto& f : figure_names()) {
        for (const char* stat : {"n", "mean", "median", "sd", "ci95_low", "ci95_high"}) {
            out += "," + f + "_" + stat;
        }
    }
    out += "\n";
    for (const auto& c : cells) {
        for (const auto& kv : c.cell) {
            out += csv_cell(kv.second) + ",";
        }
        out += std::to_string(c.runs) + "," + std::to_string(c.passed);
        for (const auto& s : c.figures) {
            out += "," + std::to_string(s.n);
            for (const double v : {s.mean, s.median, s.sd, s.ci_low, s.ci_high}) {
                out += "," + (s.n > 0 ? fmt(v) : std::string());
            }
        }
        out += "\n";
    }
    return out;
}

}  // namespace tcplab::experiment
