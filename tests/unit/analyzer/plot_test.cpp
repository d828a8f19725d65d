// `analyze --plot`: every committed capture gives three SVGs per stream that pass the legibility
// check (marks and labels inside the canvas, round ticks, closed tags) and render with
// rsvg-convert; the check itself fails on bad plots; the time axis spreads a transfer that
// follows a long SYN timeout across the width instead of squashing it at the right edge.
#include <gtest/gtest.h>

#include <fstream>

#include "analyzer/detail/plot_axes.hpp"
#include "analyzer/plot_svg.hpp"
#include "analyzer_test_util.hpp"
#include "base/errors.hpp"
#include "tests/support/files.hpp"
#include "tests/support/svg_check.hpp"

namespace tcplab::analyzer::test {
namespace {

namespace fs = std::filesystem;
using test_support::svg_problems;

std::string join(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += "  " + l + "\n";
    return s;
}

// A plot the way the analyzer writes one: the check must pass it before it can judge others.
std::string good_plot() {
    std::vector<SeqPoint> points;
    for (int i = 0; i < 50; ++i) {
        points.push_back({0.001 * i, static_cast<std::uint64_t>(1448 * i), 1448,
                          i % 10 == 3 ? SeqPoint::Kind::retransmission : SeqPoint::Kind::data});
        points.push_back(
            {0.001 * i + 0.0005, static_cast<std::uint64_t>(1448 * i), 0, SeqPoint::Kind::ack});
    }
    points.push_back({0.02, 1448 * 20, 0, SeqPoint::Kind::drop});
    return time_sequence_svg("a plot", points, "dropped by the path");
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

TEST(SvgCheck, PassesTheAnalyzersOwnPlot) { EXPECT_EQ(join(svg_problems(good_plot())), ""); }

TEST(SvgCheck, FindsAMarkOutsideTheCanvas) {
    const std::string bad =
        replace(good_plot(), "</svg>", "<circle cx=\"950\" cy=\"100\" r=\"2\"/>\n</svg>");
    EXPECT_NE(join(svg_problems(bad)).find("outside"), std::string::npos)
        << join(svg_problems(bad));
}

TEST(SvgCheck, FindsALabelCutOffAtTheEdge) {
    // Today's timeseq.svg: the last tick label centred on the right edge of the canvas.
    const std::string bad =
        replace(good_plot(), "</svg>",
                "<text x=\"895\" y=\"530\" text-anchor=\"middle\">1000.0 ms</text>\n</svg>");
    EXPECT_NE(join(svg_problems(bad)).find("text '1000.0 ms'"), std::string::npos);
}

TEST(SvgCheck, FindsTicksThatAreNotRound) {
    std::string bad = good_plot();
    bad = replace(bad, "</svg>",
                  "<text class=\"tick\" data-axis=\"q\" x=\"300\" y=\"300\">0</text>"
                  "<text class=\"tick\" data-axis=\"q\" x=\"300\" y=\"320\">249.6</text>"
                  "<text class=\"tick\" data-axis=\"q\" x=\"300\" y=\"340\">499.2</text>\n</svg>");
    EXPECT_NE(join(svg_problems(bad)).find("axis q: tick step"), std::string::npos)
        << join(svg_problems(bad));
}

TEST(SvgCheck, FindsOverlappingTickLabels) {
    const std::string bad = replace(good_plot(), "</svg>",
                                    "<text class=\"tick\" data-axis=\"x9\" x=\"400\" y=\"530\" "
                                    "text-anchor=\"middle\">10</text>"
                                    "<text class=\"tick\" data-axis=\"x9\" x=\"405\" y=\"530\" "
                                    "text-anchor=\"middle\">20</text>\n</svg>");
    EXPECT_NE(join(svg_problems(bad)).find("overlap"), std::string::npos);
}

TEST(SvgCheck, FindsATagNeverClosed) {
    const std::string bad = replace(good_plot(), "</svg>", "<g>\n</svg>");
    EXPECT_FALSE(svg_problems(bad).empty());
}

TEST(PlotAxes, TicksAreOneTwoFiveSteps) {
    const Ticks t = nice_ticks(0, 499.2, 5);
    EXPECT_DOUBLE_EQ(t.step, 100);
    EXPECT_EQ(t.values, (std::vector<double>{0, 100, 200, 300, 400}));
    EXPECT_EQ(tick_text(0.3, nice_ticks(0, 1, 10).step), "0.3");
    const ValueAxis v = value_axis(612.4, 8);
    EXPECT_GE(v.top, 612.4);
    EXPECT_DOUBLE_EQ(v.top, v.ticks.values.back());
}

// loss10: SYN dropped, its retransmission 1 s later, then the whole transfer in 30 ms.
TEST(PlotAxes, ATransferAfterASynTimeoutFillsTheWidth) {
    std::vector<double> times{0.0};
    for (int i = 0; i <= 300; ++i) times.push_back(1.0 + i * 0.0001);
    const TimeAxis axis(times, 84, 856);
    ASSERT_EQ(axis.pieces().size(), 2u) << "the idle second is a break";
    EXPECT_GT(axis.x(1.03) - axis.x(1.0),
              0.8 * (856 - 84 - TimeAxis::kMinPieceWidth - TimeAxis::kBreakWidth));
    EXPECT_GE(axis.x(0.0), 84);
    EXPECT_LE(axis.x(1.03), 856);
}

// The committed captures, and the pcap fuzzer's corpus: odd times (backwards, years apart, a
// single frame) must give legible plots too.
std::vector<fs::path> plot_inputs() {
    std::vector<fs::path> out;
    const fs::path data(TCPLAB_TEST_DATA);
    for (const auto& entry : fs::directory_iterator(data / "analyzer")) {
        const auto ext = entry.path().extension();
        if (ext == ".pcap" || ext == ".pcapng") out.push_back(entry.path());
    }
    for (const char* dir : {"fuzz/pcap_file/corpus", "fuzz/pcap_file/regressions"}) {
        if (!fs::is_directory(data / dir)) continue;
        for (const auto& entry : fs::directory_iterator(data / dir)) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(Plots, EveryCommittedCaptureGivesLegibleRenderablePlots) {
    std::size_t checked = 0;
    bool rendered_any = false;
    for (const fs::path& capture : plot_inputs()) {
        SCOPED_TRACE(capture.string());
        test_support::ScratchDir dir("plots");
        AnalyzeOptions o;
        o.plot_dir = (dir.path() / "plots").string();
        FileOutcome outcome;
        std::string text;
        try {
            text = analyse_file_output(capture, o, &outcome);
        } catch (const UsageError&) {
            continue;  // not a capture at all (the fuzzer's corpus has those): nothing to plot
        }
        std::size_t blocks = 0;
        for (std::size_t at = 0; (at = text.find("\nstream ", at)) != std::string::npos; ++at) {
            ++blocks;
        }
        EXPECT_EQ(outcome.plots.size(), 3 * blocks) << "three plots per reported stream";
        for (const std::string& file : outcome.plots) {
            const std::string svg = test_support::read_file(file);
            EXPECT_EQ(join(svg_problems(svg)), "") << file;
            // Rendering costs a process per plot: the committed captures' plots are enough.
            if (capture.parent_path().filename() != "analyzer") continue;
            const int rendered = test_support::render_svg(file, file + ".png");
            if (rendered != -1) {
                EXPECT_EQ(rendered, 0) << "rsvg-convert " << file;
                rendered_any = true;
            }
            ++checked;
        }
    }
    EXPECT_GE(checked, 150u);
    if (!rendered_any) GTEST_SKIP() << "rsvg-convert missing (scripts/setup.sh installs it)";
}

}  // namespace
}  // namespace tcplab::analyzer::test
