#include "scenario/report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/errors.hpp"
#include "scenario/junit.hpp"

namespace tcplab::scenario {

namespace fs = std::filesystem;

bool RunReport::pass() const {
    if (checks.empty()) {
        return false;
    }
    for (const auto& c : checks) {
        if (!c.pass) {
            return false;
        }
    }
    return true;
}

std::vector<std::string> RunReport::failing() const {
    std::vector<std::string> out;
    for (const auto& c : checks) {
        if (!c.pass) {
            out.push_back(c.name);
        }
    }
    return out;
}

namespace {

// tmp + rename: a report file exists only complete, even if the run is killed while writing.
void write_file(const fs::path& path, const std::string& text) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp);
        out << text;
        out.flush();
        if (!out) {
            throw SystemError("cannot write " + tmp.string());
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        throw SystemError("cannot rename " + tmp.string() + " to " + path.string() + ": " +
                          ec.message());
    }
}

// Wraps `text` to `width` columns, continuation lines indented by `indent`.
std::string wrap(const std::string& text, std::size_t width, std::size_t indent) {
    std::string out;
    std::size_t col = 0;
    std::istringstream words(text);
    std::string word;
    while (words >> word) {
        if (col > 0 && col + 1 + word.size() > width) {
            out += "\n" + std::string(indent, ' ');
            col = 0;
        } else if (col > 0) {
            out += ' ';
            ++col;
        }
        out += word;
        col += word.size();
    }
    return out;
}

// "c2s  812 sent, 740 received: 72 dropped, 0 duplicated, ...; one-way delay 0.1/0.2/1.0 ms"
std::string wire_line(const RunReport& r, const std::string& dir) {
    const nlohmann::json& d = r.wire.value(dir, nlohmann::json::object());
    const nlohmann::json& faults = r.wire.value("faults", nlohmann::json::object());
    std::string out = dir + "  " + std::to_string(d.value("sent", 0)) + " sent, " +
                      std::to_string(d.value("received", 0)) + " received:";
    const std::pair<const char*, const char*> kinds[] = {{"drop", "dropped"},
                                                         {"duplicate", "duplicated"},
                                                         {"reorder", "reordered"},
                                                         {"corrupt", "corrupted"}};
    for (const auto& [action, word] : kinds) {
        out += std::string(action == kinds[0].first ? " " : ", ") +
               std::to_string(faults.value(dir + "_" + action, 0)) + " " + word;
    }
    if (d.contains("delay_ms")) {
        char delay[96];
        std::snprintf(delay, sizeof delay, "; one-way delay %.1f/%.1f/%.1f ms (min/mean/max)",
                      d["delay_ms"].value("min", 0.0), d["delay_ms"].value("mean", 0.0),
                      d["delay_ms"].value("max", 0.0));
        out += delay;
    }
    return out;
}

std::string measured_line(const RunMetrics& m) {
    char buf[200];
    std::string text = std::to_string(m.retransmissions) + " retransmissions";
    if (!m.rtos.empty()) {
        const auto [lo, hi] = std::minmax_element(m.rtos.begin(), m.rtos.end());
        std::snprintf(buf, sizeof buf, " (RTO %.3f–%.3f s)", *lo, *hi);
        text += buf;
    }
    if (m.handshake_s) {
        std::snprintf(buf, sizeof buf, ", handshake %.2f ms", *m.handshake_s * 1000);
        text += buf;
    }
    if (m.goodput_mbps) {
        std::snprintf(buf, sizeof buf, ", goodput %.1f Mbit/s", *m.goodput_mbps);
        text += buf;
    }
    return text;
}

}  // namespace

std::string report_text(const RunReport& r) {
    std::ostringstream out;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", r.seconds);
    out << "scenario  " << r.scenario << " — " << r.description << "\n"
        << "backend   " << r.backend << "   seed " << r.seed << "   run tl" << r.run_id << "   "
        << seconds << "\n";
    if (r.setup.contains("impairment")) {
        out << "path      ";
        bool first = true;
        for (const auto& kv : r.setup["impairment"]) {
            out << (first ? "" : " ") << kv.get<std::string>();
            first = false;
        }
        out << "\n";
    }
    if (r.wire.is_object()) {
        out << "wire      " << wire_line(r, "c2s") << "\n          " << wire_line(r, "s2c") << "\n";
    }
    if (r.traffic.is_array()) {
        for (const auto& t : r.traffic) {
            out << "traffic   " << t.value("kind", "?") << ": "
                << (t.value("completed", false) ? "completed" : "FAILED") << "\n";
        }
    }
    out << "measured  " << measured_line(r.metrics) << "\n\n";
    std::size_t name_width = 5;
    for (const auto& c : r.checks) {
        name_width = std::max(name_width, c.name.size());
    }
    out << "  result  " << std::string("check") << std::string(name_width - 5 + 2, ' ')
        << "observed\n";
    for (const auto& c : r.checks) {
        out << "  " << (c.pass ? "pass  " : "FAIL  ") << "  " << c.name
            << std::string(name_width - c.name.size() + 2, ' ')
            << wrap(c.observed, 100, 10 + name_width + 2) << "\n";
        if (!c.pass) {
            out << std::string(10 + name_width + 2, ' ')
                << wrap("expected: " + c.expected, 100, 10 + name_width + 2) << "\n";
        }
    }
    out << "\n" << verdict_line(r) << "\n";
    return out.str();
}

std::string verdict_line(const RunReport& r) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", r.seconds);
    if (r.pass()) {
        return "PASS " + r.scenario + " (" + std::to_string(r.checks.size()) + " checks, " +
               seconds + ") — " + (r.out_dir / "report.txt").string();
    }
    std::string failing;
    for (const auto& name : r.failing()) {
        failing += (failing.empty() ? "" : ", ") + name;
    }
    return "FAIL " + r.scenario + ": " + (failing.empty() ? "no checks ran" : failing) + " — " +
           (r.out_dir / "report.txt").string();
}

void write_report_files(const RunReport& r) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : r.checks) {
        checks.push_back(to_json(c));
    }
    const nlohmann::json doc = {
        {"scenario", r.scenario},
        {"description", r.description},
        {"backend", r.backend},
        {"seed", r.seed},
        {"run_id", r.run_id},
        {"seconds", r.seconds},
        {"setup", r.setup},
        {"captures", r.captures},
        {"backend_stats", r.backend_stats},
        {"injected", r.injected},
        {"wire", r.wire},
        {"reproducibility", r.reproducibility},
        {"labels", r.labels},
        {"verdicts", r.verdicts},
        {"traffic", r.traffic},
        {"checks", checks},
        {"metrics", to_json(r.metrics)},
        {"pass", r.pass()},
    };
    // report.json last: its presence means the run finished (captures drained, checks done).
    write_file(r.out_dir / "report.txt", report_text(r));
    write_file(r.out_dir / "report.xml", junit_xml(r));
    write_file(r.out_dir / "report.json", doc.dump(2) + "\n");
}

}  // namespace tcplab::scenario
