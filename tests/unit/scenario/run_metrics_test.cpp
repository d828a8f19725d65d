// The figures `scenario run --repeat` compares: measured from a hand-built client/server vantage
// pair, then summarised over runs.
#include "scenario/run_metrics.hpp"

#include <gtest/gtest.h>

#include "analyzer/flags.hpp"
#include "frame_facts_builder.hpp"
#include "packet/tcp.hpp"

namespace tcplab::scenario {
namespace {

namespace tf = packet::tcp_flag;

using testing::kClient;
using testing::segment;

// A frame of the main stream; `rto` is the analyzer's RTO when it flagged a retransmission.
FrameFacts frame(double t, bool from_client, std::uint16_t flags, std::uint32_t seq,
                 std::uint32_t ack, std::uint32_t len, std::uint32_t verdicts = 0, double rto = 0) {
    FrameFacts f = segment(0, t, from_client, flags, seq, len, verdicts, ack);
    f.rto = rto;
    return f;
}

// Client ISN 1000, server ISN 5000: SYN (lost, re-sent after 1 s), SYN-ACK, ACK, two 1000-byte
// segments (the second re-sent after 0.2 s), the ACK of both and of the FIN.
Vantage client_view() {
    Vantage v;
    v.frames = {
        frame(10.000, true, tf::kSyn, 1000, 0, 0),
        frame(11.000, true, tf::kSyn, 1000, 0, 0, analyzer::flag::kRetransmission, 1.0),
        frame(11.010, false, tf::kSyn | tf::kAck, 5000, 1001, 0),
        frame(11.011, true, tf::kAck, 1001, 5001, 0),
        frame(11.020, true, tf::kAck, 1001, 5001, 1000),
        frame(11.021, true, tf::kAck, 2001, 5001, 1000),
        frame(11.030, false, tf::kAck, 5001, 2001, 0),
        frame(11.221, true, tf::kAck, 2001, 5001, 1000, analyzer::flag::kRetransmission, 0.2),
        frame(11.222, true, tf::kFin | tf::kAck, 3001, 5001, 0),
        frame(11.240, false, tf::kAck, 5001, 3002, 0),
    };
    return v;
}

TEST(RunMetrics, MeasuresResendsRtosHandshakeAndGoodputOfTheMainStream) {
    const nlohmann::json injected = nlohmann::json::array({{{"direction", "c2s"},
                                                            {"src", "198.18.1.2:40000"},
                                                            {"dst", "198.19.1.2:5001"},
                                                            {"relative_seq", 1001},
                                                            {"len", 1000},
                                                            {"action", "drop"}},
                                                           {{"direction", "s2c"},
                                                            {"src", "198.19.1.2:5001"},
                                                            {"dst", "198.18.1.2:40000"},
                                                            {"relative_seq", 1},
                                                            {"len", 0},
                                                            {"action", "drop"}}});
    const RunMetrics m = measure_run(client_view(), Vantage{}, kClient, injected, true);
    EXPECT_EQ(m.retransmissions, 2);
    EXPECT_EQ(m.rtos, (std::vector<double>{1.0, 0.2}));
    ASSERT_TRUE(m.handshake_s);
    EXPECT_NEAR(*m.handshake_s, 1.011, 1e-9);  // the lost SYN counts: the user waited for it
    ASSERT_TRUE(m.goodput_mbps);
    EXPECT_NEAR(*m.goodput_mbps, 2000 * 8 / 0.220 / 1e6,
                1e-6);  // 2000 bytes, first data to FIN's ACK
    // Pure ACKs are not "data segments"; the name carries no ephemeral port.
    EXPECT_EQ(m.dropped, (std::vector<std::string>{"c2s 5001 seq 1001 len 1000 drop"}));
}

TEST(RunMetrics, TableShowsTheSpreadAndWhetherTheSameSeedDroppedTheSameSegments) {
    std::vector<RunMetrics> runs(3);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        runs[i].seed = 10;
        runs[i].pass = true;
        runs[i].reproducible = true;
        runs[i].retransmissions = static_cast<int>(10 + i);  // 10, 11, 12
        runs[i].rtos = {0.2 + 0.1 * static_cast<double>(i)};
        runs[i].handshake_s = 0.001;
        runs[i].goodput_mbps = 100.0 * static_cast<double>(i + 1);
        runs[i].dropped = {"c2s 5001 seq 1 len 1448 drop #1"};
        runs[i].sent = {"c2s 5001 seq 1 len 1448 #1", "c2s 5001 seq 1 len 1448 #2",
                        "c2s 5001 seq 1449 len 1448 #1"};
    }
    // Run 3's timing made a third copy of seq 1, and the path dropped it: not a difference.
    runs[2].sent.push_back("c2s 5001 seq 1 len 1448 #3");
    runs[2].dropped.push_back("c2s 5001 seq 1 len 1448 drop #3");
    const std::string table = statistics_table("loss10", runs);
    EXPECT_NE(table.find("loss10: 3 runs, 3 passed"), std::string::npos) << table;
    EXPECT_NE(
        table.find("retransmissions per run                10         11         12          1"),
        std::string::npos)
        << table;
    EXPECT_NE(table.find("0.200      0.300      0.400"), std::string::npos) << table;
    EXPECT_NE(table.find("100.0      200.0      300.0"), std::string::npos) << table;
    EXPECT_NE(table.find("seed 10: every data segment two runs both sent had the same fate in "
                         "both (9 compared over 3 pairs of runs; 2 sent by only one run of a pair"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("seed 10: the modal drop set (1 data segments) in 2 of 3 runs"),
              std::string::npos)
        << table;
    // A packet both runs sent, dropped in one only: the seed did not decide it.
    runs[1].dropped = {};
    EXPECT_NE(statistics_table("loss10", runs)
                  .find("seed 10: 2 data segments both runs sent had different fates (e.g. c2s "
                        "5001 seq 1 len 1448 #1)"),
              std::string::npos)
        << statistics_table("loss10", runs);
}

TEST(RunMetrics, ADroppedNameWithoutItsFateIsThePacket) {
    EXPECT_EQ(segment_of("c2s 5001 seq 1 len 1448 drop #2"), "c2s 5001 seq 1 len 1448 #2");
    EXPECT_EQ(segment_of("s2c 5002 seq 0 len 10 corrupt"), "s2c 5002 seq 0 len 10");
}

// tc netem before Linux 6.7 ignores the seed: the drops are known (from the wire) but runs with
// one seed are not expected to drop the same segments, so no comparison is claimed.
TEST(RunMetrics, WhenTheSeedDoesNotDecideNoDropComparisonIsClaimed) {
    std::vector<RunMetrics> runs(2);
    runs[0].dropped = {"c2s 5001 seq 1 len 1000 drop #1"};
    const std::string table = statistics_table("loss10", runs);
    EXPECT_EQ(table.find("dropped exactly"), std::string::npos) << table;
    EXPECT_NE(table.find("data segments dropped                   0          0          1"),
              std::string::npos)
        << table;
}

}  // namespace
}  // namespace tcplab::scenario
