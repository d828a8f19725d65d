#pragma once
// Standalone SVG plots of one TCP stream, shared by `tcplab analyze --plot` and a scenario run's
// timeseq.svg (one implementation): a Stevens time-sequence graph and a time series (throughput,
// RTT). Both break the time axis across idle gaps (see detail/plot_axes.hpp), label round tick
// values, keep every mark inside the canvas, and thin marks to one per pixel column on long
// streams, so a plot of a million segments stays a few hundred kilobytes.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tcplab::analyzer {

// Canvas size of every plot, in pixels (the SVG's viewBox).
constexpr double kPlotWidth = 900;
constexpr double kPlotHeight = 560;

struct SeqPoint {
    enum class Kind : std::uint8_t { data, retransmission, ack, drop };
    double t = 0;           // seconds from the stream's first frame
    std::uint64_t seq = 0;  // relative sequence (ack number for Kind::ack)
    std::uint32_t len = 0;
    Kind kind = Kind::data;
};

// Sequence number against time: data segments as vertical bars, re-sent ones thick and red, the
// peer's cumulative ACK as a green step line, drops as black crosses explained by drop_label
// (what a drop means where the points came from, e.g. "dropped by the path"). axis_times: the
// times whose idle gaps the time axis breaks at (empty: the points' own), so that the plots of
// one stream break in the same places.
std::string time_sequence_svg(const std::string& title, const std::vector<SeqPoint>& points,
                              const std::string& drop_label,
                              const std::vector<double>& axis_times = {});

struct Series {
    std::string name;    // legend text
    std::string colour;  // SVG colour
    bool dots = false;   // true: one dot per sample (RTT), false: a line (throughput)
    std::vector<std::pair<double, double>> points;  // (seconds, value)
};

// Values against time, y from 0; y_label names the unit.
std::string time_series_svg(const std::string& title, const std::string& y_label,
                            const std::vector<Series>& series,
                            const std::vector<double>& axis_times = {});

}  // namespace tcplab::analyzer
