// Golden test: every NAME.pcap / NAME.pcapng in tests/data/analyzer with a NAME.tsv beside it
// (tshark's expected per-frame verdicts, made by scripts/tshark_expected.sh) must be reproduced
// exactly by `analyze --frames --format tsv`. A disagreement prints a readable row diff; the
// agreement per flag over the whole corpus is printed either way.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "analyzer/report.hpp"
#include "analyzer_test_util.hpp"
#include "tests/support/files.hpp"

namespace tcplab::analyzer::test {
namespace {

namespace fs = std::filesystem;

struct Pair {
    fs::path capture;
    fs::path expected;
};

std::vector<Pair> corpus() {
    std::vector<Pair> pairs;
    const fs::path dir = fs::path(TCPLAB_TEST_DATA) / "analyzer";
    if (!fs::is_directory(dir)) return pairs;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".tsv") continue;
        for (const char* ext : {".pcap", ".pcapng"}) {
            fs::path capture = entry.path();
            capture.replace_extension(ext);
            if (fs::exists(capture)) {
                pairs.push_back({capture, entry.path()});
                break;
            }
        }
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const Pair& a, const Pair& b) { return a.capture < b.capture; });
    return pairs;
}

// Runs the library exactly as `tcplab analyze --frames --format tsv FILE` does.
std::string analyse_to_tsv(const fs::path& capture) {
    AnalyzeOptions o;
    o.format = Format::tsv;
    o.frames = true;
    return analyse_file_output(capture, o);
}

std::vector<std::string> split_flags(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        const auto comma = s.find(',', start);
        out.push_back(s.substr(start, comma == std::string::npos ? comma : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

TEST(Golden, CorpusIsPresent) {
    // The corpus has landed (scripts/make_analyzer_corpus.sh); an empty directory means it was
    // lost, which must not pass silently.
    EXPECT_GE(corpus().size(), 1u)
        << "no NAME.pcap + NAME.tsv pairs in " << TCPLAB_TEST_DATA << "/analyzer";
}

TEST(Golden, EveryFrameMatchesTshark) {
    const auto pairs = corpus();
    ASSERT_FALSE(pairs.empty());
    std::uint64_t frames = 0;
    std::uint64_t exact = 0;
    std::map<std::string, std::array<std::uint64_t, 3>> per_flag;  // expected, found, agreed
    for (const auto& pair : pairs) {
        SCOPED_TRACE(pair.capture.filename().string());
        const auto expected = parse_tsv(test_support::read_file(pair.expected));
        const auto actual = parse_tsv(analyse_to_tsv(pair.capture));
        EXPECT_EQ(expected, actual)
            << pair.capture.filename() << " differs from " << pair.expected.filename() << ":\n"
            << describe_diff(expected, actual);
        const std::size_t n = std::min(expected.size(), actual.size());
        frames += expected.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (expected[i] == actual[i]) ++exact;
            for (const auto& f : split_flags(expected[i].flags)) ++per_flag[f][0];
            for (const auto& f : split_flags(actual[i].flags)) ++per_flag[f][1];
            for (const auto& f : split_flags(expected[i].flags)) {
                const auto got = split_flags(actual[i].flags);
                if (std::find(got.begin(), got.end(), f) != got.end()) ++per_flag[f][2];
            }
        }
    }
    std::cout << "[ golden ] " << pairs.size() << " captures, " << frames << " TCP frames, "
              << exact << " rows exactly equal (frame, stream, flags, rto, rto_frame)\n";
    for (const auto& [name, c] : per_flag) {
        std::cout << "[ golden ]   " << name << ": tshark " << c[0] << ", analyzer " << c[1]
                  << ", agreeing " << c[2] << "\n";
    }
    ::testing::Test::RecordProperty("frames", std::to_string(frames));
    ::testing::Test::RecordProperty("exact_rows", std::to_string(exact));
}

// The committed expectations must still be what tshark says (catches a stale .tsv). One tshark
// start per capture costs minutes on a loaded machine, so this runs when asked for
// (TCPLAB_TSHARK_RECHECK=1, as CI does) and where tshark is installed.
TEST(Golden, ExpectationsStillMatchTshark) {
    if (std::getenv("TCPLAB_TSHARK_RECHECK") == nullptr) {
        GTEST_SKIP() << "set TCPLAB_TSHARK_RECHECK=1 to re-derive every expectation with tshark";
    }
    if (!test_support::have_tool("tshark"))
        GTEST_SKIP() << "tshark not installed: cannot re-derive the expectations";
    for (const auto& pair : corpus()) {
        SCOPED_TRACE(pair.capture.filename().string());
        const auto oracle = tshark_rows(pair.capture);
        ASSERT_TRUE(oracle.has_value()) << "scripts/tshark_expected.sh failed on " << pair.capture;
        const auto committed = parse_tsv(test_support::read_file(pair.expected));
        EXPECT_EQ(*oracle, committed) << describe_diff(*oracle, committed);
    }
}

}  // namespace
}  // namespace tcplab::analyzer::test
