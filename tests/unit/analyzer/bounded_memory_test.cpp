// What the analyzer does to run in bounded memory, and that it costs no tshark agreement:
// - a long lossy stream's report lists its first --max-events-per-stream events in full and
//   only counts the rest (counts complete), while the per-frame TSV stays complete;
// - an idle stream is freed, yet a late packet on it continues its analysis exactly as in
//   tshark (which never frees a stream), and the report still has one block per stream.
// The verdicts are checked against tshark on the very same packets where tshark is installed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "analyzer_test_util.hpp"

namespace tcplab::analyzer::test {
namespace {

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
    const test_support::ScratchDir scratch_{"analyzer-bounded-memory"};
    const std::filesystem::path& dir_ = scratch_.path();
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

// A closed conversation whose last ACK (of b's FIN) was not captured; after 130 s of other
// traffic it has been freed (StreamTable: 120 s after FIN/RST; the sweep runs every kSweepEvery
// frames, so UDP frames fill the silence). Then b retransmits its FIN and a sends late ACKs
// and a keep-alive: tshark judges these from the old conversation's state.
TEST_F(BoundedMemory, RevivedStreamContinuesItsAnalysisAndHasOneReportBlock) {
    Script s;
    s.handshake()
        .a(10, tf::kPsh | kAck, 1, 1, 100)
        .b(11, kAck, 1, 101)
        .a(12, tf::kFin | kAck, 101, 1)
        .b(13, tf::kFin | kAck, 1, 102);
    std::vector<Frame> frames = s.frames();
    append_idle_sweep(frames, Script::kEpoch + 130'000'000'000LL);
    Script late;                              // the same conversation
    late.b(131'000, tf::kFin | kAck, 1, 102)  // FIN retransmission, RTO from frame 7
        .a(131'000.5, kAck, 102, 2)
        .a(131'001, kAck, 102, 2)   // duplicate ACK
        .a(131'002, kAck, 101, 2);  // keep-alive: seq = next expected - 1
    frames.insert(frames.end(), late.frames().begin(), late.frames().end());
    const auto pcap = dir_ / "revived.pcap";
    write_pcap(pcap, frames);

    const auto rows = run_engine(frames);
    ASSERT_EQ(rows.size(), 11u);
    const std::uint64_t first_late = 7 + StreamTable::kSweepEvery + 1;
    const std::vector<Row> expected_late = {
        {first_late, "0", "retransmission", "130.987000", "7"},
        {first_late + 1, "0", "", "", ""},
        {first_late + 2, "0", "duplicate_ack", "", ""},
        {first_late + 3, "0", "keep_alive", "", ""},
    };
    EXPECT_EQ(std::vector<Row>(rows.begin() + 7, rows.end()), expected_late)
        << describe_diff(expected_late, std::vector<Row>(rows.begin() + 7, rows.end()));
    if (auto oracle = tshark_rows(pcap)) {
        EXPECT_EQ(*oracle, rows) << "tshark disagrees:\n" << describe_diff(*oracle, rows);
    } else {
        std::cerr
            << "[ note ] tshark not available: checked against the written expectations only\n";
    }

    // The report: one block for stream 0 (written when it was freed); the late frames are a
    // counted, named warning instead of a second block.
    AnalyzeOptions json;
    json.format = Format::json;
    FileOutcome outcome;
    const auto doc = nlohmann::json::parse(analyse_file_output(pcap, json, &outcome));
    ASSERT_EQ(doc["streams"].size(), 1u);
    EXPECT_EQ(doc["streams"][0]["index"], 0u);
    EXPECT_EQ(doc["streams"][0]["last_frame"], 7u);
    EXPECT_EQ(doc["summary"]["observations"]["frames_after_report"], 4u);
    ASSERT_EQ(outcome.warnings.size(), 1u);
    EXPECT_NE(
        outcome.warnings[0].find("4 frame(s) arrived on a stream already reported, first frame " +
                                 std::to_string(first_late) + " on stream 0"),
        std::string::npos)
        << outcome.warnings[0];
    const std::string text = analyse_file_output(pcap, AnalyzeOptions{});
    std::size_t blocks = 0;
    for (std::size_t at = text.find("stream 0 "); at != std::string::npos;
         at = text.find("stream 0 ", at + 1)) {
        if (at == 0 || text[at - 1] == '\n') ++blocks;
    }
    EXPECT_EQ(blocks, 1u) << text;
}

// The saved analysis state has a byte budget: within it a revived conversation is the one that
// was freed; past it (here: a budget of 0) only the numbering survives and the analysis starts
// over -- the one place where a late packet can still be judged differently from tshark.
TEST(StreamTableRevival, SavedStateWithinTheBudgetNumberingOnlyBeyondIt) {
    for (const std::size_t budget : {std::size_t{1} << 20, std::size_t{0}}) {
        SCOPED_TRACE(budget);
        StreamTable table(/*collect_summaries=*/true, /*closed_idle=*/10, /*open_idle=*/10,
                          /*tombstone_ttl=*/1'000'000, /*max_tombstones=*/10, budget);
        const auto a = *packet::IpAddress::parse("198.18.0.2");
        const auto b = *packet::IpAddress::parse("198.19.0.2");
        Conversation* c = table.find_or_create(a, 40000, b, 80, 0).conversation;
        c->flow[0].nextseq = SeqNum(1234);
        c->flow[1].unacked.push_back({SeqNum(7), SeqNum(8), 3, 5});
        c->completeness = completeness::kSynSent | completeness::kFin;
        int finalised = 0;
        const StreamTable::Finalise count = [&](const Conversation& f) {
            ++finalised;
            EXPECT_NE(f.summary, nullptr);  // the report is written from it
        };
        for (std::uint32_t i = 0; i < StreamTable::kSweepEvery; ++i) table.expire_idle(100, count);
        ASSERT_EQ(finalised, 1);
        ASSERT_EQ(table.open_count(), 0u);
        EXPECT_EQ(table.tombstone_count(), 1u);
        EXPECT_EQ(table.saved_state_bytes() != 0, budget != 0);

        const auto late = table.find_or_create(b, 80, a, 40000, 200);  // from the other side
        EXPECT_FALSE(late.is_new);
        EXPECT_EQ(late.conversation->stream, 0u);
        EXPECT_EQ(late.conversation->direction(a, 40000), 0);  // roles kept
        EXPECT_EQ(late.conversation->summary, nullptr);        // reported already: no second block
        EXPECT_TRUE(late.conversation->closed());
        if (budget != 0) {
            EXPECT_EQ(late.conversation->flow[0].nextseq, SeqNum(1234));
            ASSERT_EQ(late.conversation->flow[1].unacked.size(), 1u);
            EXPECT_EQ(late.conversation->flow[1].unacked[0].frame, 3u);
        } else {
            EXPECT_FALSE(known(late.conversation->flow[0].nextseq));
            EXPECT_TRUE(late.conversation->flow[1].unacked.empty());
        }
        EXPECT_EQ(table.tombstone_count(), 0u);
        EXPECT_EQ(table.saved_state_bytes(), 0u);
    }
}

}  // namespace
}  // namespace tcplab::analyzer::test
