#include "analyzer/detail/stream_plots.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "analyzer/detail/plot_axes.hpp"
#include "analyzer/detail/render.hpp"
#include "analyzer/flags.hpp"
#include "analyzer/plot_svg.hpp"

namespace tcplab::analyzer {

namespace {

constexpr std::uint32_t kResent = flag::kRetransmission | flag::kFastRetransmission |
                                  flag::kSpuriousRetransmission | flag::kOutOfOrder;

double seconds_since(Nanos t, Nanos t0) { return static_cast<double>(t - t0) / 1e9; }

std::vector<SeqPoint> sequence_points(const StreamSummary& s, int data_dir) {
    std::vector<SeqPoint> points;
    for (const PlotFrame& f : s.plot) {
        const double t = seconds_since(f.time, s.first_time);
        if (f.dir == data_dir) {
            if (f.len > 0) {
                points.push_back({t, f.rel_seq, f.len,
                                  (f.verdicts & kResent) != 0 ? SeqPoint::Kind::retransmission
                                                              : SeqPoint::Kind::data});
            }
            if ((f.verdicts & flag::kLostSegment) != 0) {
                points.push_back({t, f.gap_seq, 0, SeqPoint::Kind::drop});
            }
        } else if (f.has_ack) {
            points.push_back({t, f.rel_ack, 0, SeqPoint::Kind::ack});
        }
    }
    return points;
}

// Payload rate of the drawn direction in bins of a round width (about 60 bins over the busy
// time), all of it and the re-sent part; empty bins inside a busy stretch are 0, and each run
// of bins starts and ends at 0 so the line does not hang in the air.
std::vector<Series> throughput_series(const StreamSummary& s, int data_dir, std::string& unit) {
    std::vector<double> times;
    for (const PlotFrame& f : s.plot) {
        if (f.dir == data_dir && f.len > 0) times.push_back(seconds_since(f.time, s.first_time));
    }
    std::vector<Series> out{{"payload sent", "#24c", false, {}},
                            {"of which re-sent", "#d22", false, {}}};
    if (times.empty()) return out;
    // Busy time: the span without the gaps the time axis breaks (over a quarter of the span).
    const double span = times.back() - times.front();
    double busy = span;
    for (std::size_t i = 1; i < times.size(); ++i) {
        const double gap = times[i] - times[i - 1];
        if (gap > span / 4) busy -= gap;
    }
    // Bins of at least 0.1 ms: finer ones hold a segment each and draw spikes, not a rate.
    const double width = std::max(nice_ticks(0, busy, 60).step, 1e-4);
    std::map<long long, std::pair<double, double>> bins;  // bin -> (bytes, re-sent bytes)
    for (const PlotFrame& f : s.plot) {
        if (f.dir != data_dir || f.len == 0) continue;
        auto& [all, resent] =
            bins[std::llround(std::floor(seconds_since(f.time, s.first_time) / width))];
        all += f.len;
        if ((f.verdicts & kResent) != 0) resent += f.len;
    }
    double max_bps = 0;
    for (const auto& [bin, bytes] : bins) max_bps = std::max(max_bps, bytes.first * 8 / width);
    const double scale = max_bps >= 1e6 ? 1e6 : 1e3;
    unit = max_bps >= 1e6 ? "Mbit/s" : "kbit/s";
    long long previous = 0;
    bool first = true;
    for (const auto& [bin, bytes] : bins) {
        // A gap of a few empty bins is drawn at 0; a longer one ends the run (the time axis
        // may break there).
        const bool joins = !first && bin - previous <= 4;
        for (long long b = previous + 1; joins && b < bin; ++b) {
            for (auto& series : out) series.points.emplace_back((b + 0.5) * width, 0.0);
        }
        if (!first && !joins) {
            for (auto& series : out) series.points.emplace_back((previous + 1) * width, 0.0);
        }
        if (!joins) {
            for (auto& series : out) series.points.emplace_back(bin * width, 0.0);
        }
        out[0].points.emplace_back((bin + 0.5) * width, bytes.first * 8 / width / scale);
        out[1].points.emplace_back((bin + 0.5) * width, bytes.second * 8 / width / scale);
        previous = bin;
        first = false;
    }
    for (auto& series : out) series.points.emplace_back((previous + 1) * width, 0.0);
    return out;
}

}  // namespace

std::vector<PlotFile> stream_plots(const Conversation& c) {
    const StreamSummary& s = *c.summary;
    const int data_dir = s.payload_bytes[1] > s.payload_bytes[0] ? 1 : 0;
    const std::string prefix = "stream-" + std::to_string(c.stream) + "-";
    const std::string who = "stream " + std::to_string(c.stream) + ": " +
                            endpoint_text(c, data_dir) + " -> " + endpoint_text(c, 1 - data_dir);
    std::vector<double> times;  // every frame: the plots break their time axes at the same gaps
    for (const PlotFrame& f : s.plot) times.push_back(seconds_since(f.time, s.first_time));
    std::vector<PlotFile> files;
    files.push_back({prefix + "timeseq.svg",
                     time_sequence_svg(who + ", time-sequence", sequence_points(s, data_dir),
                                       "lost before the capture (gap in sequence)", times)});
    std::string unit;
    std::vector<Series> rate = throughput_series(s, data_dir, unit);
    files.push_back(
        {prefix + "throughput.svg",
         time_series_svg(who + ", throughput", unit.empty() ? "kbit/s" : unit, rate, times)});
    Series rtt{"RTT sample (data to its ACK, tcptrace's rules)", "#82c", true, {}};
    for (const PlotFrame& f : s.plot) {
        if (f.dir != data_dir && f.rtt > 0) {
            rtt.points.emplace_back(seconds_since(f.time, s.first_time),
                                    static_cast<double>(f.rtt) / 1e6);
        }
    }
    files.push_back(
        {prefix + "rtt.svg", time_series_svg(who + ", round-trip time", "ms", {rtt}, times)});
    return files;
}

}  // namespace tcplab::analyzer
