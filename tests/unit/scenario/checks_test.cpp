// The scenario checks on hand-made vantage data: the ground truth ("this frame re-sends") against
// the analyzer's verdicts, and the wire's losses, reorders and duplicates matched to the
// sender's re-sends and the receiver's verdicts. Each check is fed a wrong verdict and must fail.
#include "scenario/checks.hpp"

#include <gtest/gtest.h>

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
        inputs_.faults = {lost(client_.frames[4])};  // PSH, ACK seq 1101 len 1000, frame 5
        TrafficOutcome outcome;
        outcome.spec = spec_.traffic[0];
        outcome.completed = true;
        outcome.integrity_checked = true;
        outcome.integrity_ok = true;
        inputs_.traffic = {outcome};
    }
    static PathFault lost(const FrameFacts& sent) {
        PathFault f;
        f.kind = PathFault::Kind::dropped;
        f.dir = packet::Direction::client_to_server;
        f.packet = sent;
        f.sent_frame = sent.frame;
        f.sent_t = sent.t;
        return f;
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
    client_.frames.push_back(segment(8, 0.102, false, tf::kRst, 901, 0));
    const auto checks = run();
    const auto& c = find(checks, "drops_retransmitted");
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("1 not re-sent, connection reset first: c2s PSH, ACK seq 1101 len "
                              "1000 (frame 5), RST in frame 8"),
              std::string::npos)
        << c.observed;
}

// An RST that comes after the minimum RTO (plus the round trip) excuses nothing: TCP should
// have re-sent the segment before it.
TEST_F(Checks, AnRstAfterTheResendWasDueDoesNotExcuseTheDrop) {
    client_.frames.erase(client_.frames.begin() + 5);
    client_.frames.push_back(segment(8, 0.302, false, tf::kRst, 901, 0));
    inputs_.round_trip_s = 0.05;  // due at 0.004 + 0.2 + 0.05
    const auto checks = run();
    const auto& c = find(checks, "drops_retransmitted");
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("never re-sent: c2s PSH, ACK seq 1101 len 1000"), std::string::npos)
        << c.observed;
}

// The wire names which copy was lost: when the re-send is lost too, only a third copy re-sends
// it (a lost re-send is never "re-sent" by itself).
TEST_F(Checks, ALostResendNeedsALaterCopy) {
    inputs_.faults.push_back(lost(client_.frames[5]));
    EXPECT_FALSE(find(run(), "drops_retransmitted").pass)
        << find(run(), "drops_retransmitted").observed;
    client_.frames.insert(client_.frames.begin() + 6, segment(10, 0.900, true, tf::kAck | tf::kPsh,
                                                              1101, 1000, kRetransmission));
    const auto checks = run();
    const auto& c = find(checks, "drops_retransmitted");
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("2 of 2 re-sent and flagged"), std::string::npos) << c.observed;
}

// A SYN re-sent while the SYN-ACK was being lost, and lost itself: the server already had the
// first SYN, so nothing needs re-sending. The same for any redundant copy of delivered data.
TEST_F(Checks, ALostCopyOfADeliveredSegmentNeedsNoResend) {
    inputs_.faults = {lost(client_.frames[5])};  // the re-send lost; the first copy arrived
    const auto checks = run();
    const auto& c = find(checks, "drops_retransmitted");
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("1 lost copies of segments already delivered (no re-send needed): "
                              "c2s PSH, ACK seq 1101 len 1000 (frame 6), frame 5 had arrived"),
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

TEST_F(Checks, ExpectNoneAcceptsAResendTheWireLossExplains) {
    spec_.expect.retransmissions = Expectations::Retransmissions::none;
    const auto checks = run();
    const auto& c = find(checks, "retransmissions");
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_EQ(c.observed, "1 flagged frames");
}

// A false retransmission: the sender had the ACK of the segment, the wire lost nothing, and
// still a frame is flagged.
TEST_F(Checks, ExpectNoneFailsOnAResendTheWireDoesNotExplain) {
    spec_.expect.retransmissions = Expectations::Retransmissions::none;
    inputs_.faults.clear();
    client_.frames.insert(client_.frames.begin() + 5,
                          segment(20, 0.100, false, tf::kAck, 901, 0, 0, 2101));
    const auto checks = run();
    const auto& c = find(checks, "retransmissions");
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("unexplained: client frame 6"), std::string::npos) << c.observed;
}

TEST_F(Checks, ExpectNoneFailsOnAVerdictOnAFirstTransmission) {
    spec_.expect.retransmissions = Expectations::Retransmissions::none;
    client_.frames[3].verdicts = kRetransmission;
    const auto checks = run();
    const auto& c = find(checks, "retransmissions");
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("unexplained: client frame 4"), std::string::npos) << c.observed;
}

// A timer that fired before the segment's ACK was back (the wire lost nothing, the ACK was late)
// is named as such and passes.
TEST_F(Checks, ExpectNoneAcceptsATimerResendWhoseAckWasLate) {
    spec_.expect.retransmissions = Expectations::Retransmissions::none;
    inputs_.faults.clear();
    const auto checks = run();
    const auto& c = find(checks, "retransmissions");
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("1 of them timer re-sends"), std::string::npos) << c.observed;
}

class ReceiverChecks : public Checks {
protected:
    // The path held back frame 4 (seq 101) so that frame 5's copy (seq 1101) arrived first.
    void SetUp() override {
        Checks::SetUp();
        spec_.expect.out_of_order = true;
        server_.frames = {client_.frames[0], client_.frames[1], client_.frames[2],
                          client_.frames[4], client_.frames[3]};
        for (std::uint64_t i = 0; i < server_.frames.size(); ++i) {
            server_.frames[i].frame = i + 1;
            server_.frames[i].verdicts = 0;
        }
        server_.frames[4].verdicts = analyzer::flag::kOutOfOrder;
        PathFault reorder = lost(client_.frames[3]);
        reorder.kind = PathFault::Kind::reordered;
        reorder.received_frame = 5;
        inputs_.faults = {reorder};
    }
};

TEST_F(ReceiverChecks, AnOvertakenSegmentFlaggedAtTheServerPasses) {
    const auto checks = run();
    const auto& c = find(checks, "receiver_out_of_order");
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("1 reordered on the wire, 1 of them data segments overtaken"),
              std::string::npos)
        << c.observed;
}

TEST_F(ReceiverChecks, AMissedOutOfOrderVerdictFails) {
    server_.frames[4].verdicts = 0;
    const auto checks = run();
    const auto& c = find(checks, "receiver_out_of_order");
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("not flagged: server frame 5"), std::string::npos) << c.observed;
}

TEST_F(ReceiverChecks, NoReorderOnTheWireFails) {
    inputs_.faults.clear();
    EXPECT_FALSE(find(run(), "receiver_out_of_order").pass);
}

TEST_F(ReceiverChecks, AnUnflaggedDuplicateFails) {
    spec_.expect.out_of_order = false;
    spec_.expect.duplicate_ack = true;
    inputs_.faults[0].kind = PathFault::Kind::duplicated;
    server_.frames[4].verdicts = analyzer::flag::kRetransmission;
    EXPECT_TRUE(find(run(), "receiver_duplicates").pass);
    server_.frames[4].verdicts = 0;
    EXPECT_FALSE(find(run(), "receiver_duplicates").pass);
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

// report.json's entry for a lost copy names its transmission number in the sender's capture.
TEST_F(Checks, AFaultInTheReportNamesItsTransmission) {
    PathFault second = lost(client_.frames[5]);  // the re-send of seq 1101
    const auto j = to_json(second, client_);
    EXPECT_EQ(j["relative_seq"], 1001);
    EXPECT_EQ(j["transmission"], 2);
    EXPECT_EQ(j["copies_sent"], 2);
    EXPECT_EQ(j["source"], "wire");
    EXPECT_EQ(j["action"], "drop");
}

}  // namespace
}  // namespace tcplab::scenario
