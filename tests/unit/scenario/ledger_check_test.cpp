// The forwarder's ledger against the wire truth: each side must account for the other. Fed a
// ledger line the wire does not show, and a wire loss the ledger does not name, it fails.
#include "scenario/ledger_check.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "frame_facts_builder.hpp"
#include "packet/tcp.hpp"
#include "tests/support/scratch_dir.hpp"

namespace tcplab::scenario {
namespace {

namespace tf = packet::tcp_flag;
using testing::segment;

class LedgerCheck : public ::testing::Test {
protected:
    // The ledger as the forwarder writes it: a dropped UDP datagram, a dropped SYN-ACK and a
    // delayed data segment (every protocol is read by the one reader).
    void SetUp() override {
        // Each test its own file: ctest runs every test as its own process, in parallel.
        path_ = scratch_.path() / "ledger.jsonl";
        std::ofstream out(path_);
        out << R"({"t":0.4,"dir":"c2s","src":"198.18.1.2","dst":"198.19.1.2","sport":5353,"dport":53,)"
            << R"("proto":"udp","flags":"","seq":0,"ack":0,"len":30,"ip_id":3,"action":"drop","reason":"random loss 10%"})"
            << "\n";
        out << R"({"t":0.5,"dir":"s2c","src":"198.19.1.2","dst":"198.18.1.2","sport":5001,"dport":40000,)"
            << R"("proto":"tcp","flags":"SYN, ACK","tcp_flags":18,"seq":900,"ack":101,"len":0,"ip_id":0,"action":"drop","reason":"drop-synack schedule"})"
            << "\n";
        out << R"({"t":0.6,"dir":"c2s","src":"198.18.1.2","dst":"198.19.1.2","sport":40000,"dport":5001,)"
            << R"("proto":"tcp","flags":"ACK","tcp_flags":16,"seq":101,"ack":901,"len":1000,"ip_id":7,"action":"delay","delay_ms":10,"reason":"delay"})"
            << "\n";
        out.close();
        PathFault udp;
        udp.packet.src = {*packet::IpAddress::parse("198.18.1.2"), 5353};
        udp.packet.dst = {*packet::IpAddress::parse("198.19.1.2"), 53};
        udp.packet.protocol = packet::kIpProtoUdp;
        udp.packet.len = 30;
        udp.packet.ip_id = 3;
        PathFault synack;
        synack.dir = packet::Direction::server_to_client;
        synack.packet = segment(2, 0.5, false, tf::kSyn | tf::kAck, 900, 0, 0, 101);
        synack.packet.ip_id = 0;
        truth_.faults = {udp, synack};
    }
    Check run() { return ledger_matches_wire(netem::read_ledger(path_), truth_, stats_); }

    const test_support::ScratchDir scratch_{"ledger-check"};
    std::filesystem::path path_;
    WireTruth truth_;
    netem::ForwarderStats stats_;
};

TEST_F(LedgerCheck, EveryLedgerDropOnTheWirePassesAndMarksItsSource) {
    const Check c = run();
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_EQ(c.observed, "2 ledger drops, duplicates and corruptions found on the wire");
    EXPECT_EQ(truth_.faults[1].source, "ledger+wire");
    EXPECT_EQ(truth_.faults[1].reason, "drop-synack schedule");
}

TEST_F(LedgerCheck, ALedgerDropTheWireDeliveredFails) {
    truth_.faults.pop_back();
    const Check c = run();
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("in the ledger, not on the wire: s2c drop tcp [SYN, ACK] seq 900"),
              std::string::npos)
        << c.observed;
}

// The SYN-ACK drop is at t = 0.5 s. Had the captures stopped before it, no capture could show
// it: counted apart. Had they stopped after it, the wire must show it.
TEST_F(LedgerCheck, AnActionAfterTheCapturesStoppedNeedsNoWireEvidence) {
    truth_.faults.pop_back();
    Check c = ledger_matches_wire(netem::read_ledger(path_), truth_, stats_, 0.45);
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("1 acted on as the captures stopped"), std::string::npos)
        << c.observed;
    c = ledger_matches_wire(netem::read_ledger(path_), truth_, stats_, 0.6);
    EXPECT_FALSE(c.pass) << c.observed;
}

// A packet overtaken on the host before the forwarder saw it (veth's per-CPU queues) waits its
// turn in the forwarder's ring, as long as a loaded host makes it: in a direction the forwarder
// sent in arrival order, that is the host's doing however late. Where the forwarder itself did
// reorder (jitter), only a reorder as small as the host's own latency is put down to the host;
// one held back for 5 ms without a ledger line is the forwarder's doing.
TEST_F(LedgerCheck, AReorderWithoutALedgerLineIsTheHostsOnlyWhereTheForwarderKeptOrder) {
    truth_.c2s_delay.mean_ms = 0.2;
    PathFault late;
    late.kind = PathFault::Kind::reordered;
    late.packet = segment(9, 0.9, true, tf::kAck, 1101, 1000);
    late.sent_t = 0.9;
    late.received_t = 0.905;
    truth_.faults.push_back(late);
    Check c = run();
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("1 reordered by the host, outside the forwarder"), std::string::npos)
        << c.observed;

    stats_.client_to_server.overtaken = 3;
    c = run();
    EXPECT_FALSE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("on the wire, not in the ledger: c2s reorder"), std::string::npos)
        << c.observed;
    truth_.faults.back().received_t = 0.9003;
    c = run();
    EXPECT_TRUE(c.pass) << c.observed;
}

TEST_F(LedgerCheck, AWireLossTheLedgerDoesNotNameFailsUnlessTheRingOverflowed) {
    PathFault extra;
    extra.packet = segment(9, 0.9, true, tf::kAck, 1101, 1000);
    truth_.faults.push_back(extra);
    Check c = run();
    EXPECT_FALSE(c.pass);
    EXPECT_NE(c.observed.find("on the wire, not in the ledger: c2s drop tcp [ACK] seq 1101"),
              std::string::npos)
        << c.observed;
    stats_.client_to_server.ring_drops = 1;
    c = run();
    EXPECT_TRUE(c.pass) << c.observed;
    EXPECT_NE(c.observed.find("1 wire losses are the forwarder's receive-ring overflows"),
              std::string::npos)
        << c.observed;
}

}  // namespace
}  // namespace tcplab::scenario
