#pragma once
// The axes the SVG plots share: round tick values (1-2-5 steps), a value axis from 0 to the
// first tick at or above the data, and a time axis that breaks across idle gaps, so that a
// transfer of 30 ms after a 1 s SYN timeout is drawn across the width, not as one line at the
// right edge.
#include <cstddef>
#include <string>
#include <vector>

namespace tcplab::analyzer {

// Ticks at multiples of a 1, 2 or 5 x 10^k step inside [lo, hi], at most max_ticks of them (and
// at least one when the range holds a multiple of any such step).
struct Ticks {
    double step = 1;
    std::vector<double> values;
};
Ticks nice_ticks(double lo, double hi, int max_ticks);
// A tick value as text with the decimals its step needs ("0.5", "250", "1.25" for step 0.05).
std::string tick_text(double value, double step);

// 0 .. top, where top is the first tick at or above max (max <= 0: 0 .. 1).
struct ValueAxis {
    double top = 1;
    Ticks ticks;
};
ValueAxis value_axis(double max, int max_ticks);

// Time in seconds onto [x_left, x_right]: the busy stretches of the data get the width in
// proportion to their length (each at least kMinPieceWidth), and each idle gap (longer than a
// quarter of the stretch around it; the longest kMaxPieces - 1) becomes a narrow break of
// kBreakWidth pixels labelled with the idle time.
class TimeAxis {
public:
    struct Piece {
        double t0 = 0, t1 = 0;       // seconds, padded a little around the data
        double first = 0, last = 0;  // the first and last time in it (unpadded)
        double x0 = 0, x1 = 0;       // pixels
    };
    static constexpr double kBreakWidth = 26;
    static constexpr std::size_t kMaxPieces = 5;
    static constexpr double kMinPieceWidth = 70;

    TimeAxis(std::vector<double> times, double x_left, double x_right);
    double x(double t) const;
    // Which piece t is drawn in (a line must not run across a break).
    std::size_t piece(double t) const;
    const std::vector<Piece>& pieces() const { return pieces_; }
    // "s" from 10 s on, "µs" under 1 ms, else "ms"; values are multiplied by scale().
    const char* unit() const { return unit_; }
    double scale() const { return scale_; }

private:
    std::vector<Piece> pieces_;
    const char* unit_ = "ms";
    double scale_ = 1000;
};

}  // namespace tcplab::analyzer
