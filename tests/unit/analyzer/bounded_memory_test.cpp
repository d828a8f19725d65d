// What the analyzer does to run in bounded memory, and that it costs no tshark agreement:
// - a long lossy stream's report lists its first --max-events-per-stream events in full and
//   only counts the rest (counts complete), while the per-frame TSV stays complete.
// The verdicts are checked against tshark on the very same packets where tshark is installed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "analyzer_test_util.hpp"

namespace tcplab::analyzer::test {
namespace {

constexpr std::uint16_t kAck = tf::kAck;

// The pattern of bench/lossy_stream_pcap: per block of 4 segments the second is lost past the
// capture point, the receiver repeats its ACK twice and the sender fast-retransmits the hole.
// 9 frames and 3 events (dup ACK #1, dup ACK #2, fast retransmission) per block.
std::vector<Frame> lossy_stream(std::uint32_t blocks, std::uint32_t len = 100) {
    Script s;
    s.handshake();
    double t = 2;
    const auto next = [&t] { return t += 0.1; };
    std::uint32_t seq = 1;
    constexpr std::uint16_t kWin = 65535;  // never full: no window_full events
    for (std::uint32_t b = 0; b < blocks; ++b) {
        const std::uint32_t s1 = seq + len, s2 = s1 + len, s3 = s2 + len, end = s3 + len;
        s.a(next(), kAck, seq, 1, len, kWin).b(next(), kAck, 1, s1, 0, kWin);
        s.a(next(), kAck, s1, 1, len, kWin).a(next(), kAck, s2, 1, len, kWin);
        s.b(next(), kAck, 1, s1, 0, kWin).a(next(), kAck, s3, 1, len, kWin);
        s.b(next(), kAck, 1, s1, 0, kWin).a(next(), kAck, s1, 1, len, kWin);
        s.b(next(), kAck, 1, end, 0, kWin);
        seq = end;
    }
    return s.frames();
}

std::size_t rows_with(const std::vector<Row>& rows, const std::string& flag) {
    std::size_t n = 0;
    for (const auto& r : rows)
        n += ("," + r.flags + ",").find("," + flag + ",") != std::string::npos;
    return n;
}

class BoundedMemory : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(BoundedMemory, LongLossyStreamListsTheFirstEventsAndCountsAll) {
    constexpr std::uint32_t kBlocks = 2000;
    constexpr std::size_t kCap = 100;
    const auto frames = lossy_stream(kBlocks);
    const auto pcap = dir_ / "lossy.pcap";
    write_pcap(pcap, frames);

    // Per frame (the TSV path, no cap): every event, and exactly tshark's.
    const auto rows = run_engine(frames);
    ASSERT_EQ(rows.size(), 3u + 9u * kBlocks);
    EXPECT_EQ(rows_with(rows, "duplicate_ack"), 2u * kBlocks);
    EXPECT_EQ(rows_with(rows, "fast_retransmission"), kBlocks);
    EXPECT_EQ(rows_with(rows, "retransmission"), kBlocks);  // tshark's field set on fast ones too
    if (auto oracle = tshark_rows(pcap)) {
        EXPECT_EQ(*oracle, rows) << "tshark disagrees:\n" << describe_diff(*oracle, rows);
    } else {
        std::cerr
            << "[ note ] tshark not available: checked against the written expectations only\n";
    }
    std::vector<std::uint64_t> event_frames;
    for (const auto& r : rows) {
        if (!r.flags.empty()) event_frames.push_back(r.frame);
    }
    ASSERT_EQ(event_frames.size(), 3u * kBlocks);

    // The TSV through the file path ignores the cap: one row per TCP frame, as before.
    AnalyzeOptions tsv;
    tsv.format = Format::tsv;
    tsv.frames = true;
    tsv.max_events_per_stream = 1;
    EXPECT_EQ(parse_tsv(analyse_file_output(pcap, tsv)), rows);

    // JSON report: complete counts, the first kCap events, the rest counted as not listed.
    AnalyzeOptions json;
    json.format = Format::json;
    json.max_events_per_stream = kCap;
    const auto doc = nlohmann::json::parse(analyse_file_output(pcap, json));
    ASSERT_EQ(doc["streams"].size(), 1u);
    const auto& stream = doc["streams"][0];
    EXPECT_EQ(stream["counts"]["duplicate_ack"], 2u * kBlocks);
    EXPECT_EQ(stream["counts"]["fast_retransmission"], kBlocks);
    EXPECT_EQ(stream["counts"]["retransmission"], 0u);  // the verdict: all were fast ones
    ASSERT_EQ(stream["events"].size(), kCap);
    for (std::size_t i = 0; i < kCap; ++i) {
        EXPECT_EQ(stream["events"][i]["frame"], event_frames[i]) << "event " << i;
    }
    EXPECT_EQ(stream["events_not_listed"], 3u * kBlocks - kCap);

    // Text report: the same cap, and it says so.
    AnalyzeOptions text;
    text.max_events_per_stream = kCap;
    const std::string report = analyse_file_output(pcap, text);
    EXPECT_NE(report.find("duplicate_ack 4000"), std::string::npos) << report.substr(0, 2000);
    EXPECT_NE(report.find("... 5900 more events not listed (the first 100 are, see "
                          "--max-events-per-stream; counts above are complete)"),
              std::string::npos);
    std::size_t lines = 0;
    for (std::size_t at = report.find("\n    frame "); at != std::string::npos;
         at = report.find("\n    frame ", at + 1)) {
        ++lines;
    }
    EXPECT_EQ(lines, kCap);

    // Without a cap beyond the event count everything is listed and nothing said about it.
    json.max_events_per_stream = 3 * kBlocks;
    const auto all = nlohmann::json::parse(analyse_file_output(pcap, json));
    EXPECT_EQ(all["streams"][0]["events"].size(), 3u * kBlocks);
    EXPECT_EQ(all["streams"][0]["events_not_listed"], 0u);
}

}  // namespace
}  // namespace tcplab::analyzer::test
