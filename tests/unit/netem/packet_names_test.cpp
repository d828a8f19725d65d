// PacketNames: the identities the fault decider draws by must be the same in two runs of one
// experiment — other ephemeral ports, other ISNs, another number of ACKs — for the packets
// both runs send, and differ for packets that are not the same.
#include "netem/forwarder/detail/packet_names.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "netem/forwarder/detail/fault_decider.hpp"
#include "packet/builder.hpp"
#include "packet/dissect.hpp"

namespace tcplab::netem {
namespace {

namespace tf = packet::tcp_flag;

// What differs between two runs of the same experiment.
struct RunNumbers {
    std::uint16_t client_port;
    std::uint32_t client_isn;
    std::uint32_t server_isn;
};

// The server's side of one connection (server -> client), as one direction's PacketNames sees it.
class ServerSide {
public:
    explicit ServerSide(RunNumbers run) : run_(run) {}
    // The client connects again from the same port: a new connection on the same 4-tuple.
    void reconnect(RunNumbers run) { run_ = run; }

    PacketFacts syn_ack() { return facts(tf::kSyn | tf::kAck, 0, 1, 0); }
    // A pure ACK of the client's first `bytes` bytes, after the server itself sent `sent` bytes.
    PacketFacts ack_of(std::uint32_t bytes, std::uint32_t sent = 0) {
        return facts(tf::kAck, 1 + sent, 1 + bytes, 0);
    }
    // `len` bytes of data at relative seq `seq`, acknowledging `acked` client bytes.
    PacketFacts data(std::uint32_t seq, std::uint32_t len, std::uint32_t acked) {
        return facts(tf::kAck | tf::kPsh, seq, 1 + acked, len);
    }

private:
    PacketFacts facts(std::uint16_t flags, std::uint32_t rel_seq, std::uint32_t rel_ack,
                      std::uint32_t len) {
        packet::TcpHeader tcp;
        tcp.src_port = 5001;
        tcp.dst_port = run_.client_port;
        tcp.seq = packet::SeqNum(run_.server_isn + rel_seq);
        tcp.ack = packet::SeqNum(run_.client_isn + rel_ack);
        tcp.flags = flags;
        tcp.window = 502;
        const std::vector<std::uint8_t> payload(len, 0x5a);
        const auto bytes = packet::build_tcp_packet(
            {*packet::IpAddress::parse("198.19.1.2"), *packet::IpAddress::parse("198.18.1.2")}, tcp,
            payload);
        const auto d = packet::dissect_ip(bytes);
        EXPECT_TRUE(d.ok());
        return names_.facts_of(*d, bytes);
    }

    RunNumbers run_;
    PacketNames names_;
};

constexpr RunNumbers kRunA{40001, 0x11111111, 0xA0000000};
constexpr RunNumbers kRunB{52777, 0xFFFFF000, 0x00000300};  // other port, ISNs that wrap

TEST(PacketNames, APureAckIsNamedByWhatItAcknowledgesNotByHowManyCameBefore) {
    // Run A acknowledges every segment (quick ACKs), run B every second one (delayed ACKs).
    ServerSide a(kRunA);
    ServerSide b(kRunB);
    EXPECT_EQ(a.syn_ack().identity, b.syn_ack().identity);
    std::map<std::uint32_t, std::uint64_t> a_ids;
    for (std::uint32_t n = 1; n <= 8; ++n) {
        a_ids[n * 1448] = a.ack_of(n * 1448).identity;
    }
    for (std::uint32_t n = 2; n <= 8; n += 2) {
        EXPECT_EQ(b.ack_of(n * 1448).identity, a_ids[n * 1448]) << "the ACK of byte " << n * 1448;
    }
    EXPECT_NE(a_ids[1448], a_ids[2896]);
}

TEST(PacketNames, SameSeedDropsTheSameAcksInRunsThatSendDifferentNumbersOfThem) {
    DirectionImpairment lossy;
    lossy.loss_percent = 50;
    FaultDecider decide_a(3, Direction::server_to_client, lossy);
    FaultDecider decide_b(3, Direction::server_to_client, lossy);
    ServerSide a(kRunA);
    ServerSide b(kRunB);
    decide_a.decide(a.syn_ack(), 0);
    decide_b.decide(b.syn_ack(), 0);
    std::map<std::uint32_t, Verdict> verdict_a;
    for (std::uint32_t n = 1; n <= 60; ++n) {
        verdict_a[n * 1000] = decide_a.decide(a.ack_of(n * 1000), n).verdict;
    }
    int drops = 0;
    for (std::uint32_t n = 3; n <= 60; n += 3) {
        const Verdict v = decide_b.decide(b.ack_of(n * 1000), n).verdict;
        EXPECT_EQ(v, verdict_a[n * 1000]) << "the ACK of byte " << n * 1000;
        drops += v == Verdict::drop ? 1 : 0;
    }
    EXPECT_GT(drops, 0) << "50% loss over 20 ACKs drops some";
    EXPECT_LT(drops, 20);
}

// tls-loss10 sent the server's two session tickets (158 bytes) before some of its ACKs of the
// client's upload in one run and after all of them in the next: the ACK of byte N must draw the
// same either way.
TEST(PacketNames, APureAckIsNotNamedByItsOwnSequenceNumber) {
    ServerSide a(kRunA);
    ServerSide b(kRunB);
    a.syn_ack();
    b.syn_ack();
    EXPECT_EQ(a.ack_of(14480, /*sent=*/1307).identity, b.ack_of(14480, /*sent=*/1465).identity);
    EXPECT_NE(a.ack_of(28960, 1307).identity, b.ack_of(27512, 1307).identity);
}

TEST(PacketNames, DuplicateAcksShareTheIdentityTheirOccurrenceTellsApart) {
    ServerSide a(kRunA);
    a.syn_ack();
    const auto first = a.ack_of(2896);
    const auto duplicate = a.ack_of(2896);
    EXPECT_EQ(first.identity, duplicate.identity);

    DirectionImpairment lossy;
    lossy.loss_percent = 50;
    FaultDecider decider(1, Direction::server_to_client, lossy);
    EXPECT_EQ(decider.decide(first, 0).transmission, 1U);
    EXPECT_EQ(decider.decide(duplicate, 1).transmission, 2U);
}

TEST(PacketNames, DataSegmentsAreNamedBySeqAndLengthNotByTheirAck) {
    // What a data sender acknowledges moves with what it has received: timing, not identity.
    ServerSide a(kRunA);
    ServerSide b(kRunB);
    a.syn_ack();
    b.syn_ack();
    EXPECT_EQ(a.data(1, 1307, 100).identity, b.data(1, 1307, 2000).identity);
    EXPECT_NE(a.data(1308, 655, 0).identity, a.data(1308, 654, 0).identity);
}

TEST(PacketNames, ANewConnectionOnTheSameFourTupleStartsItsNumbersAgain) {
    ServerSide a(kRunA);
    a.syn_ack();
    const auto ack_before = a.ack_of(500);
    const auto data_before = a.data(1, 100, 500);
    a.reconnect(RunNumbers{kRunA.client_port, kRunA.client_isn + 77777, kRunA.server_isn + 99999});
    a.syn_ack();
    EXPECT_EQ(a.ack_of(500).identity, ack_before.identity);
    EXPECT_EQ(a.data(1, 100, 500).identity, data_before.identity);
}

}  // namespace
}  // namespace tcplab::netem
