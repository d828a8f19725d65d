#include "analyzer/detail/plot_axes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace tcplab::analyzer {

Ticks nice_ticks(double lo, double hi, int max_ticks) {
    Ticks t;
    if (!(hi > lo) || max_ticks < 1) {
        t.values.push_back(lo);
        return t;
    }
    const double raw = (hi - lo) / max_ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        t.step = m * mag;
        if (t.step >= raw) break;
    }
    // Multiples of the step as integers times the step, so 0.1 * 3 prints as 0.3. A range too
    // narrow for its magnitude (a nanosecond, years into a capture) gets its start only.
    if (std::abs(lo / t.step) > 1e15 || std::abs(hi / t.step) > 1e15) {
        t.values.push_back(lo);
        return t;
    }
    const auto first = static_cast<long long>(std::ceil(lo / t.step - 1e-9));
    const auto last = static_cast<long long>(std::floor(hi / t.step + 1e-9));
    for (long long i = first; i <= last; ++i) t.values.push_back(static_cast<double>(i) * t.step);
    return t;
}

std::string tick_text(double value, double step) {
    const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    std::string s = buf;
    return s == "-0" ? "0" : s;
}

ValueAxis value_axis(double max, int max_ticks) {
    ValueAxis a;
    if (max <= 0) max = 1;
    // The step for 0..max, then the top raised to the first multiple of it at or above max.
    a.ticks = nice_ticks(0, max, max_ticks);
    a.top = std::ceil(max / a.ticks.step - 1e-9) * a.ticks.step;
    a.ticks = nice_ticks(0, a.top, max_ticks);
    a.top = std::max(a.top, a.ticks.values.back());
    return a;
}

TimeAxis::TimeAxis(std::vector<double> times, double x_left, double x_right) {
    std::sort(times.begin(), times.end());
    if (times.empty()) times.push_back(0);
    if (times.back() >= 10) {
        unit_ = "s";
        scale_ = 1;
    } else if (times.back() < 0.001) {
        unit_ = "µs";
        scale_ = 1e6;
    }
    // Idle gaps, longest first: each one longer than a quarter of the time still drawn becomes
    // a break (a SYN backoff at 0, 1 and 3 s breaks twice, and then the idle end of the
    // transfer that followed, if it is long against the transfer). At most kMaxPieces stretches,
    // and no more than leave each its minimum width.
    std::vector<std::size_t> breaks;  // i: the gap times[i-1] -> times[i]
    {
        std::vector<std::size_t> order;
        for (std::size_t i = 1; i < times.size(); ++i) order.push_back(i);
        const auto gap = [&](std::size_t i) { return times[i] - times[i - 1]; };
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return gap(a) > gap(b); });
        const auto fit = static_cast<std::size_t>((x_right - x_left + kBreakWidth) /
                                                  (kMinPieceWidth + kBreakWidth));
        const std::size_t max_breaks = std::min(kMaxPieces, std::max<std::size_t>(fit, 1)) - 1;
        double drawn = times.back() - times.front();
        for (const std::size_t i : order) {
            if (breaks.size() >= max_breaks || !(gap(i) > drawn / 4)) break;
            breaks.push_back(i);
            drawn -= gap(i);
        }
        std::sort(breaks.begin(), breaks.end());
    }
    std::vector<std::pair<double, double>> busy{{times.front(), times.front()}};
    for (std::size_t i = 1, next = 0; i < times.size(); ++i) {
        if (next < breaks.size() && breaks[next] == i) {
            busy.emplace_back(times[i], times[i]);
            ++next;
        } else {
            busy.back().second = times[i];
        }
    }
    const std::vector<std::pair<double, double>> unpadded = busy;
    // Each stretch padded by 3% of itself (at least 1% of all busy time, or 0.5 ms when
    // everything is one instant) so no point sits on a border -- but by under a third of the
    // gap to a neighbour, so no two stretches share a time (or a tick). The idle gaps do not
    // count: a SYN alone a second before the transfer stays a narrow stretch of its own.
    double busy_time = 0;
    for (const auto& [t0, t1] : busy) busy_time += t1 - t0;
    double total = 0;
    for (std::size_t i = 0; i < busy.size(); ++i) {
        auto& [t0, t1] = busy[i];
        double pad = std::max((t1 - t0) * 0.03, busy_time > 0 ? busy_time * 0.01 : 0.0005);
        if (i > 0) pad = std::min(pad, (unpadded[i].first - unpadded[i - 1].second) / 3);
        if (i + 1 < busy.size())
            pad = std::min(pad, (unpadded[i + 1].first - unpadded[i].second) / 3);
        t0 -= pad;
        t1 += pad;
        total += t1 - t0;
    }
    const double room = x_right - x_left - kBreakWidth * static_cast<double>(busy.size() - 1);
    // Proportional widths, then every stretch raised to the minimum at the others' expense.
    std::vector<double> width;
    double short_total = 0;
    double long_time = 0;
    for (const auto& [t0, t1] : busy) {
        if ((t1 - t0) / total * room < kMinPieceWidth) {
            short_total += kMinPieceWidth;
        } else {
            long_time += t1 - t0;
        }
    }
    double x = x_left;
    for (std::size_t i = 0; i < busy.size(); ++i) {
        const auto [t0, t1] = busy[i];
        const double proportional = (t1 - t0) / total * room;
        const double w = proportional < kMinPieceWidth || long_time <= 0
                             ? std::min(kMinPieceWidth, room)
                             : (t1 - t0) / long_time * (room - short_total);
        pieces_.push_back({t0, t1, unpadded[i].first, unpadded[i].second, x, x + w});
        x += w + kBreakWidth;
    }
    // Rounding leftovers (or all-short stretches) go to the last piece, so it ends at x_right.
    pieces_.back().x1 = x_right;
}

std::size_t TimeAxis::piece(double t) const {
    for (std::size_t i = 0; i + 1 < pieces_.size(); ++i) {
        if (t <= pieces_[i].t1) return i;
    }
    return pieces_.size() - 1;
}

double TimeAxis::x(double t) const {
    for (const Piece& p : pieces_) {
        if (t <= p.t1 || &p == &pieces_.back()) {
            if (!(p.t1 > p.t0)) return p.x0;
            const double clamped = std::clamp(t, p.t0, p.t1);
            return p.x0 + (p.x1 - p.x0) * (clamped - p.t0) / (p.t1 - p.t0);
        }
    }
    return pieces_.back().x1;
}

}  // namespace tcplab::analyzer
