#include "analyzer/plot_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "analyzer/detail/plot_axes.hpp"
#include "base/xml_escape.hpp"

namespace tcplab::analyzer {

namespace {

constexpr double kLeft = 84;
constexpr double kRight = 44;
constexpr double kTop = 58;
constexpr double kBottom = 52;
constexpr double kPlotLeft = kLeft;
constexpr double kPlotRight = kPlotWidth - kRight;
constexpr double kPlotTop = kTop;
constexpr double kPlotBottom = kPlotHeight - kBottom;
// Past this many marks of one kind a plot draws one mark per pixel column instead.
constexpr std::size_t kMaxMarks = 3000;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// The frame around the plot: title, legend row, grid, ticks and axis titles.
class Canvas {
public:
    Canvas(const std::string& title, const TimeAxis& time, const ValueAxis& value,
           double value_scale)
        : time_(time), value_(value), value_scale_(value_scale) {
        // About 8 px per character at 15 px: cut a long title rather than let it leave the canvas.
        const auto max_chars = static_cast<std::size_t>((kPlotWidth - kLeft - 10) / 8.5);
        std::string shown =
            title.size() > max_chars ? title.substr(0, max_chars - 3) + "..." : title;
        out_ << R"(<svg xmlns="http://www.w3.org/2000/svg" width=")" << kPlotWidth
             << R"(" height=")" << kPlotHeight << R"(" viewBox="0 0 )" << kPlotWidth << ' '
             << kPlotHeight << R"(" font-family="sans-serif" font-size="12">)"
             << "\n<rect width=\"" << kPlotWidth << "\" height=\"" << kPlotHeight
             << "\" fill=\"white\"/>\n<text x=\"" << kLeft << "\" y=\"22\" font-size=\"15\">"
             << xml_escape(shown) << "</text>\n";
    }

    double y(double v) const {
        return kPlotBottom -
               (kPlotBottom - kPlotTop) * std::clamp(v / value_scale_ / value_.top, 0.0, 1.0);
    }
    double x(double t) const { return time_.x(t); }
    std::ostringstream& out() { return out_; }

    void axes(const std::string& y_label) {
        out_ << "<g stroke=\"#ddd\">\n";
        for (const double v : value_.ticks.values) {
            out_ << "<line x1=\"" << num(kPlotLeft) << "\" x2=\"" << num(kPlotRight) << "\" y1=\""
                 << num(y(v * value_scale_)) << "\" y2=\"" << num(y(v * value_scale_)) << "\"/>\n";
        }
        out_ << "</g>\n";
        for (const double v : value_.ticks.values) {
            out_ << "<text class=\"tick\" data-axis=\"y\" x=\"" << num(kPlotLeft - 6) << "\" y=\""
                 << num(y(v * value_scale_) + 4) << "\" text-anchor=\"end\">"
                 << tick_text(v, value_.ticks.step) << "</text>\n";
        }
        const auto& pieces = time_.pieces();
        double last_label_end = 0;  // a tick whose label would touch the previous one is left out
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            const TimeAxis::Piece& p = pieces[i];
            out_ << "<rect x=\"" << num(p.x0) << "\" y=\"" << num(kPlotTop) << "\" width=\""
                 << num(p.x1 - p.x0) << "\" height=\"" << num(kPlotBottom - kPlotTop)
                 << "\" fill=\"none\" stroke=\"#888\"/>\n";
            for (const auto& [v, label] : piece_ticks(p)) {
                const double tx = time_.x(v / time_.scale());
                const double half = 3.6 * static_cast<double>(label.size());  // 0.6 em at 12 px
                if (tx - half < last_label_end + 6) continue;
                last_label_end = tx + half;
                out_ << "<line x1=\"" << num(tx) << "\" x2=\"" << num(tx) << "\" y1=\""
                     << num(kPlotBottom) << "\" y2=\"" << num(kPlotBottom + 4)
                     << "\" stroke=\"#888\"/>\n<text class=\"tick\" data-axis=\"x" << i << "\" x=\""
                     << num(tx) << "\" y=\"" << num(kPlotBottom + 17)
                     << "\" text-anchor=\"middle\">" << label << "</text>\n";
            }
            if (i + 1 < pieces.size()) idle_break(p, pieces[i + 1]);
        }
        out_ << "<text x=\"" << num((kPlotLeft + kPlotRight) / 2) << "\" y=\""
             << num(kPlotHeight - 10)
             << "\" text-anchor=\"middle\">time since the stream's first frame (" << time_.unit()
             << (pieces.size() > 1 ? "; gray bands: idle time left out" : "")
             << ")</text>\n<text x=\"16\" y=\"" << num((kPlotTop + kPlotBottom) / 2)
             << "\" transform=\"rotate(-90 16 " << num((kPlotTop + kPlotBottom) / 2)
             << ")\" text-anchor=\"middle\">" << xml_escape(y_label) << "</text>\n";
    }

    // Legend entries left to right in the row under the title; each is a mark and its text.
    void legend_entry(const std::string& mark_svg, const std::string& text) {
        out_ << "<g transform=\"translate(" << num(legend_x_) << " 44)\">" << mark_svg
             << "<text x=\"18\" y=\"4\" font-size=\"11\">" << xml_escape(text) << "</text></g>\n";
        legend_x_ += 30 + 6.2 * static_cast<double>(text.size());
    }

    // A line through (seconds, value) points: one vertex per pixel column at most, and a new
    // line in each piece of the time axis (none runs across an idle break).
    // step: hold each value until the next point (a cumulative ACK), instead of a slope.
    void polyline(const std::vector<std::pair<double, double>>& points, const std::string& colour,
                  double width, bool step = false) {
        std::string path;
        std::size_t piece = 0;
        long column = -1;
        std::string last_y;
        for (const auto& [t, v] : points) {
            const std::size_t p = time_.piece(t);
            const double px = x(t);
            const bool jump = path.empty() || p != piece;
            if (!jump && std::lround(px) == column) continue;
            if (step && !jump) path += " L" + num(px) + " " + last_y;
            last_y = num(y(v));
            path += (jump ? (path.empty() ? "M" : " M") : " L") + num(px) + " " + last_y;
            piece = p;
            column = std::lround(px);
        }
        if (path.empty()) return;
        out_ << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << colour
             << "\" stroke-width=\"" << width << "\"/>\n";
    }

    std::string finish() {
        out_ << "</svg>\n";
        return out_.str();
    }

private:
    // Round ticks of one busy stretch, as many as leave room between their labels; a stretch
    // with a single tick shows it without trailing zeros. No tick before the first frame.
    std::vector<std::pair<double, std::string>> piece_ticks(const TimeAxis::Piece& p) const {
        const double lo = std::max(p.t0, std::min(0.0, p.first)) * time_.scale();
        const double hi = p.t1 * time_.scale();
        std::vector<std::pair<double, std::string>> out;
        for (int room = std::max(1, static_cast<int>((p.x1 - p.x0) / 60)); room >= 1; --room) {
            const Ticks ticks = nice_ticks(lo, hi, room);
            out.clear();
            std::size_t widest = 0;
            for (const double v : ticks.values) {
                out.emplace_back(v, tick_text(v, ticks.step));
                widest = std::max(widest, out.back().second.size());
            }
            const double spacing = ticks.step / (hi - lo) * (p.x1 - p.x0);
            if (out.size() <= 1 || spacing >= 7.2 * static_cast<double>(widest) + 10) break;
        }
        if (out.size() == 1 && out[0].second.find('.') != std::string::npos) {
            std::string& s = out[0].second;
            s.erase(s.find_last_not_of('0') + 1);
            if (s.back() == '.') s.pop_back();
        }
        return out;
    }

    void idle_break(const TimeAxis::Piece& a, const TimeAxis::Piece& b) {
        const double x0 = a.x1;
        const double w = b.x0 - a.x1;
        const double mid = x0 + w / 2;
        const double cy = (kPlotTop + kPlotBottom) / 2;
        const double idle = (b.first - a.last) * time_.scale();
        const Ticks step = nice_ticks(0, idle, 4);
        out_ << "<rect x=\"" << num(x0) << "\" y=\"" << num(kPlotTop) << "\" width=\"" << num(w)
             << "\" height=\"" << num(kPlotBottom - kPlotTop) << "\" fill=\"#eee\"/>\n"
             << "<text x=\"" << num(mid + 4) << "\" y=\"" << num(cy) << "\" transform=\"rotate(-90 "
             << num(mid + 4) << ' ' << num(cy) << ")\" text-anchor=\"middle\" font-size=\"11\" "
             << "fill=\"#555\">" << tick_text(idle, step.step / 10) << ' ' << time_.unit()
             << " idle</text>\n";
    }

    const TimeAxis& time_;
    const ValueAxis& value_;
    double value_scale_;
    std::ostringstream out_;
    double legend_x_ = kLeft;
};

// One mark per pixel column: the lowest and highest value of the points that fall into it.
struct Column {
    double lo = 0, hi = 0;
};
using Columns = std::map<long, Column>;

void add_to_column(Columns& cols, double x, double lo, double hi) {
    const auto key = std::lround(x);
    auto [it, added] = cols.try_emplace(key, Column{lo, hi});
    if (!added) {
        it->second.lo = std::min(it->second.lo, lo);
        it->second.hi = std::max(it->second.hi, hi);
    }
}

// Scales bytes to a unit whose tick labels stay short.
std::pair<double, std::string> byte_unit(double max) {
    if (max >= 1e7) return {1e6, "MB"};
    if (max >= 1e4) return {1e3, "kB"};
    return {1, "bytes"};
}

std::vector<double> times_of(const std::vector<SeqPoint>& points) {
    std::vector<double> t;
    t.reserve(points.size());
    for (const auto& p : points) t.push_back(p.t);
    return t;
}

void draw_segments(Canvas& c, const std::vector<SeqPoint>& points, SeqPoint::Kind kind,
                   const char* colour, double width, double min_height) {
    std::size_t n = 0;
    for (const auto& p : points) n += p.kind == kind ? 1 : 0;
    std::ostringstream& out = c.out();
    out << "<g stroke=\"" << colour << "\" stroke-width=\"" << width << "\">\n";
    Columns cols;
    for (const auto& p : points) {
        if (p.kind != kind) continue;
        const double x = c.x(p.t);
        const double y0 = c.y(static_cast<double>(p.seq));
        // At least 2 px tall, so a 1-byte SYN or FIN is visible; a re-send at least 7 px, so
        // it stands out from the data around it.
        const double y1 =
            std::max(std::min(c.y(static_cast<double>(p.seq + p.len)), y0 - min_height), kPlotTop);
        if (n > kMaxMarks) {
            add_to_column(cols, x, y1, y0);
        } else {
            out << "<line x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << num(y0)
                << "\" y2=\"" << num(y1) << "\"/>\n";
        }
    }
    for (const auto& [x, col] : cols) {
        out << "<line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << num(col.hi) << "\" y2=\""
            << num(col.lo) << "\"/>\n";
    }
    out << "</g>\n";
}

// The ACK line, one vertex per pixel column at most, broken where the time axis breaks.
void draw_acks(Canvas& c, const std::vector<SeqPoint>& points) {
    std::vector<std::pair<double, double>> acks;
    for (const auto& p : points) {
        if (p.kind == SeqPoint::Kind::ack) acks.emplace_back(p.t, static_cast<double>(p.seq));
    }
    c.polyline(acks, "#2a7", 1.2, /*step=*/true);
}

void draw_drops(Canvas& c, const std::vector<SeqPoint>& points) {
    Columns cols;
    for (const auto& p : points) {
        if (p.kind != SeqPoint::Kind::drop) continue;
        const double y = c.y(static_cast<double>(p.seq));
        add_to_column(cols, c.x(p.t), y, y);
    }
    std::ostringstream& out = c.out();
    out << "<g stroke=\"#000\" stroke-width=\"1.6\">\n";
    for (const auto& [xi, col] : cols) {
        const double x = static_cast<double>(xi);
        const double y = col.lo;
        // Kept 4 px inside the plot so the cross never leaves it.
        const double cx = std::clamp(x, kPlotLeft + 4, kPlotRight - 4);
        const double cy = std::clamp(y, kPlotTop + 4, kPlotBottom - 4);
        out << "<path d=\"M" << num(cx - 4) << ' ' << num(cy - 4) << " L" << num(cx + 4) << ' '
            << num(cy + 4) << " M" << num(cx - 4) << ' ' << num(cy + 4) << " L" << num(cx + 4)
            << ' ' << num(cy - 4) << "\"/>\n";
    }
    out << "</g>\n";
}

}  // namespace

std::string time_sequence_svg(const std::string& title, const std::vector<SeqPoint>& points,
                              const std::string& drop_label,
                              const std::vector<double>& axis_times) {
    double seq_max = 1;
    for (const auto& p : points) seq_max = std::max(seq_max, static_cast<double>(p.seq + p.len));
    const auto [scale, unit] = byte_unit(seq_max);
    const ValueAxis value = value_axis(seq_max / scale, 8);
    const TimeAxis time(axis_times.empty() ? times_of(points) : axis_times, kPlotLeft, kPlotRight);
    Canvas c(title, time, value, scale);
    c.axes("relative sequence number (" + unit + ")");
    draw_acks(c, points);
    draw_segments(c, points, SeqPoint::Kind::data, "#24c", 1, 2);
    draw_segments(c, points, SeqPoint::Kind::retransmission, "#d22", 2.5, 7);
    draw_drops(c, points);
    c.legend_entry(R"(<line x1="6" x2="6" y1="-6" y2="6" stroke="#24c"/>)", "segment");
    c.legend_entry(R"(<line x1="6" x2="6" y1="-6" y2="6" stroke="#d22" stroke-width="2.5"/>)",
                   "re-sent segment");
    c.legend_entry(R"(<path d="M2 -4 L10 4 M2 4 L10 -4" stroke="#000" stroke-width="1.6"/>)",
                   drop_label);
    c.legend_entry(R"(<line x1="0" x2="14" y1="0" y2="0" stroke="#2a7" stroke-width="1.2"/>)",
                   "peer's ACK");
    return c.finish();
}

std::string time_series_svg(const std::string& title, const std::string& y_label,
                            const std::vector<Series>& series,
                            const std::vector<double>& axis_times) {
    double max = 0;
    std::vector<double> times;
    for (const auto& s : series) {
        for (const auto& [t, v] : s.points) {
            max = std::max(max, v);
            times.push_back(t);
        }
    }
    const ValueAxis value = value_axis(max, 8);
    const TimeAxis time(axis_times.empty() ? times : axis_times, kPlotLeft, kPlotRight);
    Canvas c(title, time, value, 1);
    c.axes(y_label);
    std::ostringstream& out = c.out();
    for (const auto& s : series) {
        if (s.dots) {
            Columns cols;
            for (const auto& [t, v] : s.points) {
                if (s.points.size() > kMaxMarks) {
                    add_to_column(cols, c.x(t), c.y(v), c.y(v));
                } else {
                    out << "<circle cx=\"" << num(c.x(t)) << "\" cy=\"" << num(c.y(v))
                        << "\" r=\"2.2\" fill=\"" << s.colour << "\"/>\n";
                }
            }
            for (const auto& [x, col] : cols) {
                out << "<line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << num(col.hi)
                    << "\" y2=\"" << num(std::min(col.lo, col.hi - 2)) << "\" stroke=\"" << s.colour
                    << "\" stroke-width=\"2\"/>\n";
            }
        } else {
            c.polyline(s.points, s.colour, 1.5);
        }
        c.legend_entry(s.dots ? "<circle cx=\"6\" cy=\"0\" r=\"3\" fill=\"" + s.colour + "\"/>"
                              : "<line x1=\"0\" x2=\"14\" y1=\"0\" y2=\"0\" stroke=\"" + s.colour +
                                    "\" stroke-width=\"1.5\"/>",
                       s.name);
    }
    return c.finish();
}

}  // namespace tcplab::analyzer
