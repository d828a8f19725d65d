#include "experiment/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "base/xml_escape.hpp"

namespace tcplab::experiment {

namespace {

struct Point {
    double x = 0, y = 0, lo = 0, hi = 0;
};
struct Series {
    std::string name;
    std::vector<Point> points;
    bool dashed = false;  // a model, not a measurement
};

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// A scatter/line chart with error bars, as inline SVG (no script, no network).
std::string svg_chart(const std::string& title, const std::string& x_label,
                      const std::string& y_label, const std::vector<Series>& series) {
    constexpr double kW = 640, kH = 360, kLeft = 70, kRight = 170, kTop = 30, kBottom = 50;
    double x_max = 0, y_max = 0, x_min = 0;
    bool first = true;
    for (const auto& s : series) {
        for (const auto& p : s.points) {
            x_min = first ? p.x : std::min(x_min, p.x);
            x_max = first ? p.x : std::max(x_max, p.x);
            y_max = std::max(y_max, s.dashed ? p.y : std::max(p.y, p.hi));
            first = false;
        }
    }
    double measured_max = 0;
    for (const auto& s : series) {
        for (const auto& p : s.points) {
            measured_max = s.dashed ? measured_max : std::max(measured_max, p.hi);
        }
    }
    y_max = std::min(y_max, measured_max > 0 ? measured_max * 3 : y_max);  // a model can dwarf it
    y_max = y_max > 0 ? y_max * 1.1 : 1;
    const double x_span = x_max > x_min ? x_max - x_min : 1;
    auto px = [&](double x) { return kLeft + (x - x_min) / x_span * (kW - kLeft - kRight); };
    auto py = [&](double y) {
        return kH - kBottom - std::clamp(y, 0.0, y_max) / y_max * (kH - kTop - kBottom);
    };
    std::ostringstream out;
    out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW << "\" height=\"" << kH
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<text x=\"" << kW / 2 - 60 << "\" y=\"18\" font-weight=\"bold\">" << xml_escape(title)
        << "</text>\n"
        << "<line x1=\"" << kLeft << "\" y1=\"" << kH - kBottom << "\" x2=\"" << kW - kRight
        << "\" y2=\"" << kH - kBottom << "\" stroke=\"black\"/>\n"
        << "<line x1=\"" << kLeft << "\" y1=\"" << kTop << "\" x2=\"" << kLeft << "\" y2=\""
        << kH - kBottom << "\" stroke=\"black\"/>\n";
    for (int i = 0; i <= 4; ++i) {
        const double y = y_max * i / 4;
        const double x = x_min + x_span * i / 4;
        out << "<text x=\"" << kLeft - 8 << "\" y=\"" << py(y) + 4 << "\" text-anchor=\"end\">"
            << num(y) << "</text>\n"
            << "<text x=\"" << px(x) << "\" y=\"" << kH - kBottom + 16
            << "\" text-anchor=\"middle\">" << num(x) << "</text>\n";
    }
    out << "<text x=\"" << (kLeft + kW - kRight) / 2 << "\" y=\"" << kH - 12
        << "\" text-anchor=\"middle\">" << xml_escape(x_label) << "</text>\n"
        << "<text transform=\"translate(16," << kH / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
        << xml_escape(y_label) << "</text>\n";
    for (std::size_t i = 0; i < series.size(); ++i) {
        const Series& s = series[i];
        const char* colour = kColours[i % std::size(kColours)];
        std::string path;
        for (const auto& p : s.points) {
            path += (path.empty() ? "M" : " L") + num(px(p.x)) + " " + num(py(p.y));
            if (!s.dashed) {
                out << "<line x1=\"" << px(p.x) << "\" y1=\"" << py(p.lo) << "\" x2=\"" << px(p.x)
                    << "\" y2=\"" << py(p.hi) << "\" stroke=\"" << colour << "\"/>\n"
                    << "<circle cx=\"" << px(p.x) << "\" cy=\"" << py(p.y) << "\" r=\"3.5\" fill=\""
                    << colour << "\"/>\n";
            }
        }
        out << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << colour << "\""
            << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n"
            << "<text x=\"" << kW - kRight + 10 << "\" y=\"" << kTop + 16 * (i + 1) << "\" fill=\""
            << colour << "\">" << xml_escape(s.name) << "</text>\n";
    }
    out << "</svg>\n";
    return out.str();
}

std::size_t figure_index(const std::string& name) {
    const auto& names = figure_names();
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

// The x axis: the varied key "loss" when there is one, else the first numeric varied key.
std::string x_key(const ExperimentSpec& spec) {
    for (const auto& v : spec.vary) {
        if (v.key == "loss") {
            return v.key;
        }
    }
    for (const auto& v : spec.vary) {
        char* end = nullptr;
        (void)std::strtod(v.values.front().c_str(), &end);
        if (*end == '\0') {
            return v.key;
        }
    }
    return {};
}

std::string label_without(const Cell& cell, const std::string& key) {
    std::string out;
    for (const auto& [k, v] : cell) {
        if (k != key) {
            out += (out.empty() ? "" : " ") + k + "=" + v;
        }
    }
    return out.empty() ? "all runs" : out;
}

std::string value_of(const Cell& cell, const std::string& key) {
    for (const auto& [k, v] : cell) {
        if (k == key) {
            return v;
        }
    }
    return "0";
}

// One series per combination of the other varied keys; the x key on the axis.
std::vector<Series> series_of(const std::vector<CellSummary>& cells, const std::string& x,
                              std::size_t figure) {
    std::map<std::string, Series> by_label;
    for (const auto& c : cells) {
        const SampleStats& s = c.figures[figure];
        if (s.n == 0) {
            continue;
        }
        Series& series = by_label[label_without(c.cell, x)];
        series.name = label_without(c.cell, x);
        series.points.push_back(
            {std::strtod(value_of(c.cell, x).c_str(), nullptr), s.mean, s.ci_low, s.ci_high});
    }
    std::vector<Series> out;
    for (auto& [label, s] : by_label) {
        std::sort(s.points.begin(), s.points.end(),
                  [](const Point& a, const Point& b) { return a.x < b.x; });
        out.push_back(std::move(s));
    }
    return out;
}

// Mathis et al. (1997): throughput <= MSS / (RTT * sqrt(2p/3)), in Mbit/s, with the RTT the wire
// measured (mean one-way delays both ways) and p the configured loss.
Series mathis_bound(const std::vector<CellSummary>& cells, const std::string& x) {
    Series s;
    s.name = "Mathis bound";
    s.dashed = true;
    std::map<double, std::vector<double>> rtts;
    for (const auto& c : cells) {
        const double p = std::strtod(value_of(c.cell, x).c_str(), nullptr) / 100;
        const SampleStats& c2s = c.figures[figure_index("c2s_delay_ms")];
        const SampleStats& s2c = c.figures[figure_index("s2c_delay_ms")];
        if (p > 0 && c2s.n > 0 && s2c.n > 0) {
            rtts[p * 100].push_back((c2s.mean + s2c.mean) / 1e3);
        }
    }
    for (const auto& [loss, rtt] : rtts) {
        const double mean_rtt = std::max(1e-4, sample_stats(rtt).mean);
        const double mbps = 1448 * 8 / (mean_rtt * std::sqrt(2 * loss / 100 / 3)) / 1e6;
        s.points.push_back({loss, mbps, mbps, mbps});
    }
    return s;
}

std::string rto_histogram(const std::vector<RunResult>& results) {
    const double edges[] = {0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 4, 1e9};
    std::vector<double> counts(std::size(edges) - 1, 0);
    for (const auto& r : results) {
        for (const double rto : r.rtos_s) {
            for (std::size_t i = 0; i + 1 < std::size(edges); ++i) {
                if (rto >= edges[i] && rto < edges[i + 1]) {
                    ++counts[i];
                }
            }
        }
    }
    Series s;
    s.name = "RTOs";
    for (std::size_t i = 0; i < counts.size(); ++i) {
        s.points.push_back({static_cast<double>(i), counts[i], counts[i], counts[i]});
    }
    std::string labels;
    for (std::size_t i = 0; i + 1 < std::size(edges); ++i) {
        labels += std::to_string(i) + ": " + num(edges[i]) + "–" +
                  (edges[i + 1] > 1e8 ? std::string("∞") : num(edges[i + 1])) + " s  ";
    }
    return svg_chart("RTO distribution (all runs)", "bin", "retransmissions with that RTO", {s}) +
           "<p class=\"small\">bins " + xml_escape(labels) + "</p>\n";
}

std::string cell_table(const ExperimentSpec& spec, const std::vector<CellSummary>& cells) {
    std::ostringstream out;
    out << "<table><tr>";
    for (const auto& v : spec.vary) {
        out << "<th>" << xml_escape(v.key) << "</th>";
    }
    out << "<th>runs</th><th>passed</th><th>goodput Mbit/s (95% CI)</th>"
        << "<th>retransmissions</th><th>segments dropped</th><th>c2s loss</th></tr>\n";
    for (const auto& c : cells) {
        out << "<tr>";
        for (const auto& kv : c.cell) {
            out << "<td>" << xml_escape(kv.second) << "</td>";
        }
        const SampleStats& g = c.figures[figure_index("goodput_mbps")];
        out << "<td>" << c.runs << "</td><td>" << c.passed << "</td><td>" << num(g.mean) << " ("
            << num(g.ci_low) << "–" << num(g.ci_high) << ")</td><td>"
            << num(c.figures[figure_index("retransmissions")].mean) << "</td><td>"
            << num(c.figures[figure_index("data_segments_dropped")].mean) << "</td><td>"
            << num(c.figures[figure_index("c2s_loss")].mean * 100) << "%</td></tr>\n";
    }
    out << "</table>\n";
    return out.str();
}

std::string run_list(const std::vector<RunResult>& results) {
    std::ostringstream out;
    out << "<ul class=\"small\">\n";
    for (const auto& r : results) {
        const std::string dir = xml_escape(r.run.dir);
        out << "<li>" << dir << ": "
            << (!r.finished ? "missing"
                : r.pass    ? "pass"
                            : "<b>FAIL</b>")
            << " — <a href=\"" << dir << "/report.txt\">report</a>, <a href=\"" << dir
            << "/timeseq.svg\">time-sequence</a></li>\n";
    }
    out << "</ul>\n";
    return out.str();
}

}  // namespace

std::string goodput_svg(const ExperimentSpec& spec, const std::vector<CellSummary>& cells) {
    const std::string x = x_key(spec);
    if (x.empty()) {
        return {};
    }
    auto goodput = series_of(cells, x, figure_index("goodput_mbps"));
    if (x == "loss") {
        goodput.push_back(mathis_bound(cells, x));
    }
    return svg_chart("goodput of the main stream", x, "Mbit/s", goodput);
}

std::string html_report(const ExperimentSpec& spec, const std::vector<RunResult>& results,
                        const std::vector<CellSummary>& cells) {
    const std::string x = x_key(spec);
    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tcplab experiment "
        << xml_escape(spec.name) << "</title>\n<style>body{font-family:sans-serif;margin:2em}"
        << "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}"
        << ".small{font-size:smaller}</style></head><body>\n"
        << "<h1>Experiment " << xml_escape(spec.name) << "</h1>\n<p>" << results.size()
        << " runs in " << cells.size() << " cells; points are means with 95% confidence "
        << "intervals over the seeds.</p>\n";
    if (!x.empty()) {
        out << "<h2>Goodput vs " << xml_escape(x) << "</h2>\n"
            << goodput_svg(spec, cells) << "<h2>Retransmissions vs " << xml_escape(x) << "</h2>\n"
            << svg_chart("frames flagged as re-sends", x, "per run",
                         series_of(cells, x, figure_index("retransmissions")));
    }
    out << "<h2>RTOs</h2>\n"
        << rto_histogram(results) << "<h2>Cells</h2>\n"
        << cell_table(spec, cells) << "<h2>Runs</h2>\n"
        << run_list(results) << "</body></html>\n";
    return out.str();
}

}  // namespace tcplab::experiment
