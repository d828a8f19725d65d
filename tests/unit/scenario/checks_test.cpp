// The scenario checks on hand-made vantage data: the ground truth ("this frame re-sends") against
// the analyzer's verdicts, and ledger drops matched to the sender's re-sends.
#include "scenario/checks.hpp"

#include <gtest/gtest.h>

#include <fstream>

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

const Check& find(const std::vector<Check>& checks, const std::string& name) {
    for (const auto& c : checks) {
        if (c.name == name) {
            return c;
        }
    }
    throw std::runtime_error("no check " + name);
}

class Checks : public ::testing::Test {
protected:
    void SetUp() override {
        spec_.name = "t";
        spec_.traffic = {{TrafficSpec::Kind::kernel_bulk, 2000}};
        // Client: SYN, data 1..1000, data 1001..2000 (dropped by the path), its re-send, FIN.
        client_.frames = {segment(1, 0.000, true, tf::kSyn, 100, 0),
                          segment(2, 0.001, false, tf::kSyn | tf::kAck, 900, 0),
                          segment(3, 0.002, true, tf::kAck, 101, 0, 0, 901),
                          segment(4, 0.003, true, tf::kAck | tf::kPsh, 101, 1000),
                          segment(5, 0.004, true, tf::kAck | tf::kPsh, 1101, 1000),
                          segment(6, 0.300, true, tf::kAck | tf::kPsh, 1101, 1000, kRetransmission),
                          segment(7, 0.301, true, tf::kAck | tf::kFin, 2101, 0)};
        server_.frames = {client_.frames[0], client_.frames[1], client_.frames[2],
                          client_.frames[3], client_.frames[5], client_.frames[6]};
        for (std::uint64_t i = 0; i < server_.frames.size(); ++i) {
            server_.frames[i].frame = i + 1;
            server_.frames[i].verdicts = 0;
        }
        netem::LedgerEntry drop;
        drop.dir = netem::Direction::client_to_server;
        drop.packet = client_.frames[4];  // the frame's packet record: PSH, ACK seq 1101 len 1000
        drop.action = "drop";
        inputs_.faults = {drop};
        inputs_.have_ledger = true;
        TrafficOutcome outcome;
        outcome.spec = spec_.traffic[0];
        outcome.completed = true;
        outcome.integrity_checked = true;
        outcome.integrity_ok = true;
        inputs_.traffic = {outcome};
    }
    std::vector<Check> run() {
        inputs_.spec = &spec_;
        inputs_.client_address = kClient;
        inputs_.client = &client_;
        inputs_.server = &server_;
        return run_checks(inputs_);
    }
    ScenarioSpec spec_;
    Vantage client_;
    Vantage server_;
    CheckInputs inputs_;
};

TEST_F(Checks, AFlaggedResendOfADroppedSegmentPassesEverything) {
    for (const auto& c : run()) {
        EXPECT_TRUE(c.pass) << c.name << ": " << c.observed;
    }
}

TEST_F(Checks, AnUnflaggedResendFailsBothTheGroundTruthAndTheDropCheck) {
    client_.frames[5].verdicts = 0;
    const auto checks = run();
    EXPECT_FALSE(find(checks, "resend_verdicts_client").pass);
    EXPECT_NE(find(checks, "resend_verdicts_client").observed.find("not flagged: frames 6"),
              std::string::npos);
    EXPECT_FALSE(find(checks, "drops_retransmitted").pass);
}

TEST_F(Checks, AVerdictOnAFirstTransmissionIsAFalseRetransmission) {
    client_.frames[3].verdicts = kRetransmission;
    const auto checks = run();
    const auto& c = find(checks, "resend_verdicts_client");
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("flagged without a re-send: frames 4"), std::string::npos)
        << c.observed;
}

TEST_F(Checks, ADropThatWasNeverResentFails) {
    client_.frames.erase(client_.frames.begin() + 5);
    const auto checks = run();
    const auto& c = find(checks, "drops_retransmitted");
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("never re-sent"), std::string::npos) << c.observed;
}

// The lab's TLS greeting: the client's close_notify is lost and the server, already closed,
// answers the client's next segment with an RST; TCP rightly never re-sends the lost data.
TEST_F(Checks, ADropWhoseConnectionWasResetNeedNotBeResent) {
    client_.frames.erase(client_.frames.begin() + 5);  // no re-send of 1101..2100
    client_.frames.push_back(segment(8, 0.302, false, tf::kRst, 901, 0));
    const auto checks = run();
    const auto& c = find(checks, "drops_retransmitted");
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(
        c.observed.find(
            "1 not re-sent, connection reset: c2s PSH, ACK seq 1101 len 1000 (RST in frame 8)"),
        std::string::npos)
        << c.observed;
}

TEST_F(Checks, KeepAliveIsNotARetransmission) {
    // seq = next-1 with one byte: tshark calls it a keep-alive, not a retransmission.
    client_.frames.push_back(segment(8, 5.0, true, tf::kAck, 2101, 1, analyzer::flag::kKeepAlive));
    client_.frames[6].tcp_flags = tf::kAck | tf::kPsh;  // no FIN, so next stays 2101 + ... = 2101
    client_.frames[6].len = 1;
    client_.frames[7].seq = 2101;
    EXPECT_TRUE(find(run(), "resend_verdicts_client").pass)
        << find(run(), "resend_verdicts_client").observed;
}

TEST_F(Checks, ExpectNoneFailsWhenThePathLostTheOriginal) {
    spec_.expect.retransmissions = Expectations::Retransmissions::none;
    // The server never saw the first copy of 1101 (frame 5 was dropped): a loss-caused re-send.
    const auto checks = run();
    const auto& c = find(checks, "retransmissions");
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("re-sends of segments the path lost: sender frames 6"),
              std::string::npos)
        << c.observed;
}

TEST_F(Checks, ExpectNoneAcceptsATimerResendOfASegmentThatArrived) {
    spec_.expect.retransmissions = Expectations::Retransmissions::none;
    // Both copies reached the server: the re-send was a timer firing (e.g. TLP), not a loss.
    FrameFacts first = client_.frames[4];
    first.frame = 99;
    server_.frames.insert(server_.frames.begin() + 4, first);
    const auto checks = run();
    const auto& c = find(checks, "retransmissions");
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("1 timer re-sends"), std::string::npos) << c.observed;
}

TEST_F(Checks, IntegrityFailureFails) {
    inputs_.traffic[0].integrity_ok = false;
    EXPECT_FALSE(find(run(), "payload_integrity_1").pass);
}

TEST_F(Checks, SynRtoIsCheckedAgainstTheExpectation) {
    spec_.expect.syn_rto_s = 1.0;
    client_.frames.insert(client_.frames.begin() + 1,
                          segment(99, 1.0, true, tf::kSyn, 100, 0, kRetransmission));
    client_.frames[1].rto = 1.02;
    client_.frames[1].rto_frame = 1;
    EXPECT_TRUE(find(run(), "syn_retransmission_rto").pass);
    client_.frames[1].rto = 3.0;
    EXPECT_FALSE(find(run(), "syn_retransmission_rto").pass);
}

// The forwarder's ledger has a line for every packet it acted on, UDP and ICMP included: the
// checks read it with the one ledger reader and judge its TCP lines.
TEST_F(Checks, LedgerLinesAreReadAndNonTcpLinesSkipped) {
    const std::string path = ::testing::TempDir() + "/ledger.jsonl";
    {
        std::ofstream out(path);
        out << R"({"t":0.4,"dir":"c2s","src":"198.18.1.2","dst":"198.19.1.2","sport":5353,"dport":53,)"
            << R"("proto":"udp","flags":"","tcp_flags":0,"seq":0,"ack":0,"len":30,"ip_id":3,"action":"drop","reason":"random loss 10%"})"
            << "\n";
        out << R"({"t":0.5,"dir":"s2c","src":"198.19.1.2","dst":"198.18.1.2","sport":5001,"dport":40000,)"
            << R"("proto":"tcp","flags":"SYN, ACK","tcp_flags":18,"seq":900,"ack":101,"len":0,"action":"drop","reason":"schedule"})"
            << "\n";
        out << R"({"t":0.6,"dir":"s2c","src":"198.19.1.2","dst":"198.18.1.2","sport":0,"dport":0,)"
            << R"("proto":"icmp","flags":"","tcp_flags":0,"seq":0,"ack":0,"len":36,"ip_id":4,"action":"corrupt","reason":"corrupt 1%"})"
            << "\n";
    }
    const auto faults = tcp_faults(netem::read_ledger(path));
    ASSERT_EQ(faults.size(), 1U);
    EXPECT_EQ(faults[0].dir, netem::Direction::server_to_client);
    EXPECT_TRUE(faults[0].packet.has_flag(tf::kSyn));
    EXPECT_TRUE(faults[0].loses_packet());
    EXPECT_TRUE(faults[0].packet.carries_sequence());
    EXPECT_FALSE(faults[0].packet.is_pure_ack());
    EXPECT_EQ(faults[0].packet.src.port, 5001);
    inputs_.client = &client_;
    inputs_.server = &server_;
    EXPECT_EQ(to_json(faults[0], inputs_)["flags"], "SYN, ACK");
}

}  // namespace
}  // namespace tcplab::scenario
