// What the per-stream reports (text and JSON) say about a stream's handshake and events, where an
// earlier version said something wrong: each test builds the conversation that showed it, and
// where tshark is installed asks tshark about the same packets.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "analyzer_test_util.hpp"
#include "tests/support/tshark.hpp"

namespace tcplab::analyzer::test {
namespace {

namespace fs = std::filesystem;

class StreamReport : public ::testing::Test {
protected:
    StreamReport() : scratch_("analyzer-stream-report"), pcap_(scratch_.path() / "s.pcap") {}

    std::string report(const std::vector<Frame>& frames, Format format) {
        write_pcap(pcap_, frames);
        AnalyzeOptions o;
        o.format = format;
        return analyse_file_output(pcap_, o);
    }
    nlohmann::json json_streams(const std::vector<Frame>& frames) {
        return nlohmann::json::parse(report(frames, Format::json)).at("streams");
    }
    // tshark's value of one field per TCP frame ("" where absent), when tshark is installed.
    std::optional<std::vector<std::string>> tshark_column(const std::string& field) const {
        if (!test_support::have_tool("tshark")) return std::nullopt;
        return test_support::tshark_fields(pcap_, {field}, "tcp");
    }

    test_support::ScratchDir scratch_;
    fs::path pcap_;
};

// The event line of one frame in the text report ("    frame N  a -> b  ...").
std::string event_line(const std::string& text, std::uint64_t frame) {
    const std::string start = "    frame " + std::to_string(frame) + "  ";
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(start, 0) == 0 && line.find(" -> ") != std::string::npos) return line;
    }
    return "";
}

// A connection refused with RST,ACK, then an ordinary one on the next port.
std::vector<Frame> refused_then_accepted() {
    Script refused;
    refused.seg(0, 0, tf::kSyn, 0, 0, 0, 64240).b(0.5, tf::kRst | kAck, 0, 1, 0, 0);
    Script accepted(1000, 500000, 40001);
    accepted.handshake(10);
    auto frames = refused.frames();
    frames.insert(frames.end(), accepted.frames().begin(), accepted.frames().end());
    return frames;
}

TEST_F(StreamReport, RefusingRstIsNotTheHandshakeAck) {
    const auto frames = refused_then_accepted();
    const auto streams = json_streams(frames);
    ASSERT_EQ(streams.size(), 2u);
    const auto& refused = streams.at(0);
    EXPECT_TRUE(refused.at("handshake").at("ack").is_null()) << refused.at("handshake").dump();
    EXPECT_TRUE(refused.at("teardown").at("rst").at("b").get<bool>());
    EXPECT_EQ(refused.at("teardown").at("packets").at(0).at("frame"), 2);
    EXPECT_EQ(streams.at(1).at("handshake").at("ack").at("frame"), 5);

    const std::string text = report(frames, Format::text);
    const auto stream1 = text.find("stream 1 ");
    ASSERT_NE(stream1, std::string::npos) << text;
    EXPECT_NE(text.substr(0, stream1).find("    ACK      not captured\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("    ACK      frame 5 ", stream1), std::string::npos) << text;

    // iRTT stays tshark's tcp.analysis.initial_rtt, which the refusing RST,ACK does end.
    if (auto irtt = tshark_column("tcp.analysis.initial_rtt")) {
        ASSERT_EQ(irtt->size(), 5u);
        EXPECT_NEAR(std::stod(irtt->at(1)), refused.at("handshake").at("irtt").get<double>(), 1e-6);
    }
}

// SYN-ACK re-sent 1 s later, before any ACK: judged with the 3 ms default, although the ACK then
// makes the iRTT known. A data retransmission after that is judged against the iRTT.
TEST_F(StreamReport, ThresholdLabelIsTheOneTheVerdictUsed) {
    Script s;
    s.seg(0, 0, tf::kSyn, 0, 0, 0, 64240)
        .b(0.5, tf::kSyn | kAck, 0, 1, 0, 65160)
        .b(1000, tf::kSyn | kAck, 0, 1, 0, 65160)
        .a(1001, kAck, 1, 1)
        .a(1002, kPshAck, 1, 1, 100)
        .a(3000, kPshAck, 1, 1, 100);
    const auto rows = run_engine(s.frames());
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[2].flags, "retransmission");
    EXPECT_EQ(rows[5].flags, "retransmission");

    const auto events = json_streams(s.frames()).at(0).at("events");
    ASSERT_EQ(events.size(), 2u) << events.dump();
    const auto reason = [&](std::size_t i) { return events.at(i).at("reason").get<std::string>(); };
    EXPECT_NE(reason(0).find("threshold 3.000 ms (3 ms default, iRTT unknown)"), std::string::npos)
        << reason(0);
    EXPECT_NE(reason(1).find("threshold 1001.000 ms (iRTT)"), std::string::npos) << reason(1);
    const std::string text = report(s.frames(), Format::text);
    EXPECT_NE(event_line(text, 3).find("(3 ms default, iRTT unknown)"), std::string::npos) << text;

    if (auto oracle = tshark_rows(pcap_)) {
        EXPECT_EQ(*oracle, rows) << describe_diff(*oracle, rows);
    }
}

// Port reuse as tshark 4.0 calls it (tcp.analysis.reused_ports): a SYN with a new ISN on a known
// pair, and a SYN-ACK that re-bases its direction with a new ISN; a SYN re-sent with the same ISN
// is only a retransmission, before the close or after it. Text and JSON show the verdict
// wherever they give its reason, also next to another verdict of the same frame.
TEST_F(StreamReport, ReusedPortsAsTsharkSaysAndShownWithItsReason) {
    Script first;
    first.seg(0, 0, tf::kSyn, 0, 0, 0, 64240)
        .seg(0, 1000, tf::kSyn, 0, 0, 0, 64240)  // same ISN: a retransmission
        .b(1000.5, tf::kSyn | kAck, 0, 1, 0, 65160)
        .a(1001, kAck, 1, 1)
        .a(1002, kFinAck, 1, 1)
        .b(1003, kFinAck, 1, 2)
        .a(1004, kAck, 2, 2)
        .seg(0, 3000, tf::kSyn, 0, 0, 0, 64240);  // same ISN after the close
    Script second(777777, 888888);
    second.seg(0, 5000, tf::kSyn, 0, 0, 0, 64240).b(5000.5, tf::kSyn | kAck, 0, 1, 0, 65160);
    Script rebased(777777, 999999);
    rebased.b(5001, tf::kSyn | kAck, 0, 1, 0, 65160);  // SYN-ACK with a new ISN
    auto frames = first.frames();
    for (const Script* s : {&second, &rebased})
        frames.insert(frames.end(), s->frames().begin(), s->frames().end());

    std::vector<std::string> ours(frames.size());
    const auto streams = json_streams(frames);
    for (const auto& stream : streams) {
        for (const auto& e : stream.at("events")) {
            for (const auto& name : e.at("flags")) {
                if (name == "reused_ports") ours.at(e.at("frame").get<std::size_t>() - 1) = "1";
            }
        }
    }
    const std::vector<std::string> expected = {"", "", "", "", "", "", "", "", "1", "", "1"};
    EXPECT_EQ(ours, expected);
    if (auto reused = tshark_column("tcp.analysis.reused_ports")) {
        EXPECT_EQ(*reused, expected);
    }
    if (auto oracle = tshark_rows(pcap_)) {
        const auto rows = run_engine(frames);
        EXPECT_EQ(*oracle, rows) << describe_diff(*oracle, rows);
    }

    const std::string text = report(frames, Format::text);
    for (const std::uint64_t frame : {9, 11}) {
        const std::string line = event_line(text, frame);
        EXPECT_NE(line.find("reused_ports"), std::string::npos) << line;
        EXPECT_NE(line.find("SYN with a new ISN on a known address/port pair"), std::string::npos)
            << line;
    }
    // Frame 11 is also a lost segment (its new ISN is past next expected): both verdicts show.
    EXPECT_NE(event_line(text, 11).find("lost_segment, reused_ports (SYN, ACK)"), std::string::npos)
        << event_line(text, 11);
    EXPECT_EQ(event_line(text, 2).find("reused_ports"), std::string::npos) << event_line(text, 2);
}

}  // namespace
}  // namespace tcplab::analyzer::test
