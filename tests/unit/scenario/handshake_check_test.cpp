// handshake_verdicts on hand-made captures of one connection over a 50 ms + 50 ms path: the
// analyzer's summary and verdicts as they should be pass; each wrong verdict fails, naming it.
#include "scenario/handshake_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "analyzer/flags.hpp"
#include "frame_facts_builder.hpp"
#include "packet/tcp.hpp"

namespace tcplab::scenario {
namespace {

namespace tf = packet::tcp_flag;
using analyzer::flag::kRetransmission;
using testing::kClient;
using testing::kServer;
using testing::segment;

constexpr double kDelay = 0.050;

// One packet on the path: who sent it and when, whether the path lost it, and the analyzer's
// verdict on it in the sender's capture.
struct Sent {
    bool from_client;
    double t;
    std::uint16_t flags;
    std::uint32_t seq;
    std::uint32_t ack;
    std::uint32_t len = 0;
    bool lost = false;
    std::uint32_t sender_verdicts = 0;
};

// The sender captures each packet when it leaves; the receiver, kDelay later unless it was lost.
Vantage capture(const std::vector<Sent>& path, bool at_client) {
    Vantage v;
    for (const Sent& p : path) {
        const bool own = p.from_client == at_client;
        if (!own && p.lost) {
            continue;
        }
        v.frames.push_back(segment(0, own ? p.t : p.t + kDelay, p.from_client, p.flags, p.seq,
                                   p.len, own ? p.sender_verdicts : 0, p.ack));
    }
    std::stable_sort(v.frames.begin(), v.frames.end(),
                     [](const FrameFacts& a, const FrameFacts& b) { return a.t < b.t; });
    for (std::size_t i = 0; i < v.frames.size(); ++i) {
        v.frames[i].frame = i + 1;
    }
    return v;
}

const SynOptions kSynOptions{1460, 7, true, packet::TcpTimestamps{1, 0}};
const SynOptions kSynAckOptions{1460, 7, true, packet::TcpTimestamps{5, 1}};

// The lab's synloss and finloss in one connection: the first SYN and the first FIN are lost and
// re-sent.
//   client capture: 1 SYN (lost), 2 SYN (re-send), 3 SYN-ACK, 4 ACK, 5 data, 6 ACK, 7 FIN (lost),
//                   8 FIN (re-send), 9 server FIN, 10 last ACK
//   server capture: 1 SYN, 2 SYN-ACK, 3 ACK, 4 data, 5 ACK, 6 FIN, 7 server FIN, 8 last ACK
class HandshakeCheck : public ::testing::Test {
protected:
    void SetUp() override {
        const std::vector<Sent> path = {
            {true, 0.000, tf::kSyn, 100, 0, 0, true},
            {true, 1.000, tf::kSyn, 100, 0, 0, false, kRetransmission},
            {false, 1.0502, tf::kSyn | tf::kAck, 900, 101},
            {true, 1.1003, tf::kAck, 101, 901},
            {true, 1.101, tf::kAck | tf::kPsh, 101, 901, 1000},
            {false, 1.152, tf::kAck, 901, 1101},
            {true, 1.203, tf::kFin | tf::kAck, 1101, 901, 0, true},
            {true, 1.500, tf::kFin | tf::kAck, 1101, 901, 0, false, kRetransmission},
            {false, 1.551, tf::kFin | tf::kAck, 901, 1102},
            {true, 1.602, tf::kAck, 1102, 902},
        };
        client_ = capture(path, true);
        server_ = capture(path, false);
        client_.frames[1].rto = 1.0;
        client_.frames[1].rto_frame = 1;
        for (std::uint64_t frame : {1, 2, 3}) {
            client_.syn_options[frame] = frame == 3 ? kSynAckOptions : kSynOptions;
        }
        server_.syn_options = {{1, kSynOptions}, {2, kSynAckOptions}};
        client_.streams = {summary(1, 3, 4, 2, 1.1003 - 1.000, 7)};
        server_.streams = {summary(1, 2, 3, 1, 1.1503 - 1.050, 6)};
        spec_.impairment.client_to_server.delay_ms = 50;
        spec_.impairment.server_to_client.delay_ms = 50;
        spec_.traffic = {{TrafficSpec::Kind::kernel_bulk, 1000}};
    }

    // What the analyzer says of the stream when it is right.
    static StreamFacts summary(std::uint64_t syn, std::uint64_t synack, std::uint64_t ack,
                               std::uint32_t syns, double irtt, std::uint64_t fin) {
        StreamFacts s;
        s.a = {kClient, 40000};
        s.completeness = 1 | 2 | 4 | 8 | 16;
        s.irtt = irtt;
        s.syn_frame = syn;
        s.synack_frame = synack;
        s.ack_frame = ack;
        s.syn_count = syns;
        s.synack_count = 1;
        s.syn_options = kSynOptions;
        s.synack_options = kSynAckOptions;
        s.first_fin_frame = fin;
        s.first_fin_by_a = true;
        s.summarised = true;
        return s;
    }

    Check run() {
        inputs_.spec = &spec_;
        inputs_.client_address = kClient;
        inputs_.client = &client_;
        inputs_.server = &server_;
        return handshake_verdicts(inputs_);
    }

    // Fails the test unless the check fails and its observed text names `what`.
    void expect_failure_naming(const std::string& what) {
        const Check c = run();
        EXPECT_FALSE(c.pass) << c.observed;
        EXPECT_NE(c.observed.find(what), std::string::npos) << c.observed;
    }

    ScenarioSpec spec_;
    Vantage client_;
    Vantage server_;
    CheckInputs inputs_;
};

TEST_F(HandshakeCheck, TheRightVerdictsPassAndTheIrttIsSplitIntoItsParts) {
    const Check c = run();
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("client stream 0: SYN x2, SYN-ACK x1, iRTT 100.300 ms = SYN 50.000 "
                              "ms + server 0.200 ms "
                              "+ SYN-ACK 50.000 ms + client 0.100 ms"),
              std::string::npos)
        << c.observed;
    EXPECT_NE(c.observed.find("client closed first (frame 7), FIN re-sent 1x by the client, 0x by "
                              "the server"),
              std::string::npos)
        << c.observed;
}

TEST_F(HandshakeCheck, AMissedSynRetransmissionFails) {
    client_.frames[1].verdicts = 0;
    expect_failure_naming("client stream 0: SYN frame 2 re-sends frame 1 but is not flagged");
}

TEST_F(HandshakeCheck, AFalseSynRetransmissionFails) {
    client_.frames[0].verdicts = kRetransmission;
    expect_failure_naming("client stream 0: SYN frame 1 is the first copy but flagged");
}

TEST_F(HandshakeCheck, ASynRetransmissionWithAWrongRtoFails) {
    client_.frames[1].rto = 0.5;
    expect_failure_naming("SYN frame 2 RTO 500.000 ms from frame 1, wire: 1000.000 ms");
}

// The RTO may count from a later earlier copy (tshark's oldest still-unacknowledged one), but it
// must name a copy of the segment and equal the time since it.
TEST_F(HandshakeCheck, AnRtoBasedOnAFrameThatIsNoCopyFails) {
    client_.frames[1].rto_frame = 3;
    expect_failure_naming(
        "SYN frame 2 RTO 1000.000 ms from frame 3, wire: that frame is no "
        "earlier copy");
}

TEST_F(HandshakeCheck, AnIrttOffBy50MsFails) {
    client_.streams[0].irtt += 0.050;
    expect_failure_naming("client stream 0: iRTT 150.300 ms per analyzer, wire 100.300 ms");
}

TEST_F(HandshakeCheck, AnIrttFromTheFirstSynInsteadOfTheAnsweredOneFails) {
    client_.streams[0].irtt = 1.1003;
    expect_failure_naming("(frame 2 to frame 4)");
}

// The wire shows 50 ms each way; a scenario promising 20 ms cannot have produced this iRTT.
TEST_F(HandshakeCheck, AnIrttInconsistentWithTheConfiguredDelayFails) {
    spec_.impairment.client_to_server.delay_ms = 20;
    spec_.impairment.server_to_client.delay_ms = 20;
    expect_failure_naming("one-way delays SYN 50.000 ms, SYN-ACK 50.000 ms outside the configured");
}

// The host's share of the path (kPathSlackS, 10 ms): 8 ms late passes, 12 ms late fails.
TEST_F(HandshakeCheck, TheHostMayMakeAHandshakePacketUpTo10MsLate) {
    spec_.impairment.server_to_client.delay_ms = 42;
    EXPECT_TRUE(run().pass) << run().observed;
    spec_.impairment.server_to_client.delay_ms = 38;
    expect_failure_naming("SYN-ACK 50.000 ms outside the configured 50.000 ms / 38.000 ms");
}

// The same wire under 20 ms +- 10 ms normal jitter: 50 ms is within 5 sigma, so the measured
// delays, not the configured mean, make the iRTT.
TEST_F(HandshakeCheck, JitterIsJudgedByTheDistributionsRange) {
    for (auto* d : {&spec_.impairment.client_to_server, &spec_.impairment.server_to_client}) {
        d->delay_ms = 20;
        d->jitter_ms = 10;
        d->distribution = netem::DelayDistribution::normal;
    }
    EXPECT_TRUE(run().pass) << run().observed;
    spec_.impairment.client_to_server.distribution = netem::DelayDistribution::uniform;
    EXPECT_FALSE(run().pass) << run().observed;
}

TEST_F(HandshakeCheck, AWrongHandshakeFrameFails) {
    client_.streams[0].ack_frame = 5;
    expect_failure_naming(
        "handshake end (tshark: first ACK after a SYN) is frame 4, analyzer says "
        "frame 5");
}

TEST_F(HandshakeCheck, AWrongFirstCloserFails) {
    server_.streams[0].first_fin_by_a = false;
    expect_failure_naming(
        "server stream 0: first FIN (frame 6) sent by 198.18.1.2:40000, analyzer "
        "says by 198.19.1.2:5001");
}

TEST_F(HandshakeCheck, AnUnflaggedFinRetransmissionFails) {
    client_.frames[7].verdicts = 0;
    expect_failure_naming(
        "client stream 0: client FIN frame 8 re-sends frame 7 but is not flagged");
}

// The client's first FIN was lost: the first FIN the server sees is the re-send, and tshark flags
// it there when an ACK past the FIN arrived first. At the sender a flagged first copy still fails.
TEST_F(HandshakeCheck, AFlaggedFirstFinAtTheReceiverIsTheSendersResend) {
    server_.frames[5].verdicts = kRetransmission;  // server frame 6: the client's FIN re-send
    const Check c = run();
    EXPECT_TRUE(c.pass) << c.observed;
    client_.frames[6].verdicts = kRetransmission;  // client frame 7: the FIN's first copy
    expect_failure_naming("client stream 0: client FIN frame 7 is the first copy but flagged");
}

TEST_F(HandshakeCheck, AnRstTheAnalyzerDidNotSeeFails) {
    server_.streams[0].rst_by_a = true;
    expect_failure_naming(
        "server stream 0: RST from 198.18.1.2:40000 per analyzer, none on the wire");
}

TEST_F(HandshakeCheck, WrongOptionsFail) {
    server_.streams[0].synack_options->window_scale = 9;
    expect_failure_naming(
        "server stream 0: options of frame 2 are mss 1460 ws 7 sack_perm ts 5/1, "
        "analyzer says mss 1460 ws 9");
}

// MSS clamping on the path is a fact of the wire, not an analyzer error: named, not failed.
TEST_F(HandshakeCheck, OptionsTheServerReceivedDifferentlyAreReported) {
    SynOptions clamped = kSynOptions;
    clamped.mss = 1400;
    server_.syn_options[1] = clamped;
    server_.streams[0].syn_options = clamped;
    const Check c = run();
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("SYN options changed on the path: sent mss 1460 ws 7 sack_perm ts "
                              "1/0, received mss 1400"),
              std::string::npos)
        << c.observed;
}

TEST_F(HandshakeCheck, WrongCompletenessFails) {
    client_.streams[0].completeness = 1 | 2 | 4 | 8;
    expect_failure_naming("client stream 0: tcp.completeness 31 from the frames, analyzer says 15");
}

// A refused connection: the server answers the SYN with RST/ACK. tshark ends the "handshake" at
// the RST (the first ACK after a SYN), so its iRTT is SYN -> RST; no path round trip is claimed.
TEST_F(HandshakeCheck, ARefusedConnectionPassesWithTsharksIrtt) {
    const std::vector<Sent> path = {{true, 0.0, tf::kSyn, 100, 0},
                                    {false, 0.0502, tf::kRst | tf::kAck, 0, 101}};
    client_ = capture(path, true);
    server_ = capture(path, false);
    client_.syn_options = {{1, kSynOptions}};
    server_.syn_options = {{1, kSynOptions}};
    for (auto* v : {&client_, &server_}) {
        StreamFacts s = summary(1, 0, 2, 1, v == &client_ ? 0.1002 : 0.0002, 0);
        s.synack_count = 0;
        s.synack_options.reset();
        s.completeness = 1 | 4 | 32;
        s.rst_by_b = true;
        v->streams = {s};
    }
    spec_.expect.handshake_fails = true;
    const Check c = run();
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("no completed handshake (refused by RST frame 2)"), std::string::npos)
        << c.observed;
}

TEST_F(HandshakeCheck, AHandshakeTheScenarioExpectsToFailFails) {
    spec_.expect.handshake_fails = true;
    expect_failure_naming("handshake completed, the scenario expects none");
}

TEST_F(HandshakeCheck, NoConnectionAtAllFails) {
    client_ = {};
    server_ = {};
    EXPECT_FALSE(run().pass);
}

// The analyzer's golden corpus: real Linux TCP captured at both ends of a router that dropped
// chosen packets (no delay). read_vantage's per-stream summaries and the check together must
// agree with every case's wire, and tshark agrees with the analyzer on each frame (Golden tests).
class HandshakeCheckOnCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(HandshakeCheckOnCorpus, AgreesWithTheWire) {
    const std::filesystem::path dir = std::filesystem::path(TCPLAB_TEST_DATA) / "analyzer";
    const std::string ext = GetParam().starts_with("pcapng") ? ".pcapng" : ".pcap";
    const Vantage client = read_vantage(dir / (GetParam() + "-client" + ext));
    const Vantage server = read_vantage(dir / (GetParam() + "-server" + ext));
    ASSERT_FALSE(client.frames.empty());
    ASSERT_FALSE(client.streams.empty());
    ScenarioSpec spec;
    spec.traffic = {{TrafficSpec::Kind::kernel_bulk, 1}};
    CheckInputs in;
    in.spec = &spec;
    in.client_address = client.frames.front().src.address;  // each case opens with the client's SYN
    in.client = &client;
    in.server = &server;
    const Check c = handshake_verdicts(in);
    RecordProperty("observed", c.observed);  // in --gtest_output=xml, for a reader of the corpus
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_EQ(c.observed.find("not compared"), std::string::npos) << c.observed;
}

INSTANTIATE_TEST_SUITE_P(Cases, HandshakeCheckOnCorpus,
                         ::testing::Values("clean_v4", "clean_v6", "loss_data_v4", "loss_ack_v4",
                                           "syn_loss_v4", "synack_loss_v4", "synack_loss_v6",
                                           "fin_loss_v4", "fin_loss_v6", "congestion_v4",
                                           "zero_window_v4", "keepalive_v6", "port_reuse_v4",
                                           "rst_abort_v4", "icmp_reject_v4", "exthdr_loss_v6",
                                           "sll2_syn_loss_v4", "pcapng_syn_loss_v4",
                                           "nsec_loss_ack_v4"));

}  // namespace
}  // namespace tcplab::scenario
