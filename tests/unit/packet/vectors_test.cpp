// Known byte vectors: real kernel packets captured with tcpdump on lo (Linux 6.x, Debian 12),
// link header stripped. Loopback hands the capture a *partial* TCP checksum (offload), so the
// TCP checksum field here is not a full checksum; checksums are proven in checksum_tshark_test.
#include <gtest/gtest.h>

#include "packet/checksum.hpp"
#include "packet/dissect.hpp"
#include "packet/ipv4.hpp"
#include "packet/ipv6.hpp"
#include "packet/tcp.hpp"
#include "test_util.hpp"

namespace tcplab::packet {
namespace {

using test::hex;
namespace f = tcp_flag;

// IP 127.0.0.1.35434 > 127.0.0.1.47001: Flags [S], seq 999631672, win 65495,
//   options [mss 65495,sackOK,TS val 1434185678 ecr 0,nop,wscale 10], length 0
const auto kSyn4 = hex({"4500003ca1bd400040069afc7f0000017f0000018a6ab7993b952b3800000000",
                        "a002ffd7fe3000000204ffd70402080a557befce000000000103030a"});
// IP 127.0.0.1.47001 > 127.0.0.1.35434: Flags [S.], seq 1450344893, ack 999631673, win 65483,
//   options [mss 65495,sackOK,TS val 2359172598 ecr 1434185678,nop,wscale 10], length 0
const auto kSynAck4 = hex({"4500003c0000400040063cba7f0000017f000001b7998a6a567281bd3b952b39",
                           "a012ffcbfe3000000204ffd70402080a8c9e1df6557befce0103030a"});
// IP 127.0.0.1.35434 > 127.0.0.1.47001: Flags [.], ack 1, win 64,
//   options [nop,nop,TS val 1434185678 ecr 2359172598], length 0
const auto kAck4 = hex({"45000034a1be400040069b037f0000017f0000018a6ab7993b952b39567281be",
                        "80100040fe2800000101080a557befce8c9e1df6"});
// IP 127.0.0.1.35434 > 127.0.0.1.47001: Flags [F.], seq 6, ack 1, win 64,
//   options [nop,nop,TS val 1434185678 ecr 2359172598], length 0
const auto kFin4 = hex({"45000034a1c0400040069b017f0000017f0000018a6ab7993b952b3e567281be",
                        "80110040fe2800000101080a557befce8c9e1df6"});
// IP6 ::1.39772 > ::1.47001: Flags [S], seq 3451223459, win 65476,
//   options [mss 65476,sackOK,TS val 869494231 ecr 0,nop,wscale 10], length 0
const auto kSyn6 = hex({"600645b600280640000000000000000000000000000000010000000000000000",
                        "00000000000000019b5cb799cdb57da300000000a002ffc4003000000204ffc4",
                        "0402080a33d36dd7000000000103030a"});
// IP6 ::1.47001 > ::1.39772: Flags [S.], seq 2083247198, ack 3451223460, win 65464,
//   options [mss 65476,sackOK,TS val 1391913552 ecr 869494231,nop,wscale 10], length 0
const auto kSynAck6 = hex({"600d85db00280640000000000000000000000000000000010000000000000000",
                           "0000000000000001b7999b5c7c2bd45ecdb57da4a012ffb8003000000204ffc4",
                           "0402080a52f6ea5033d36dd70103030a"});
// IP6 ::1.39772 > ::1.47001: Flags [.], ack 1, win 64,
//   options [nop,nop,TS val 869494231 ecr 1391913552], length 0
const auto kAck6 =
    hex({"600645b600200640000000000000000000000000000000010000000000000000",
         "00000000000000019b5cb799cdb57da47c2bd45f80100040002800000101080a", "33d36dd752f6ea50"});
// IP6 ::1.39772 > ::1.47001: Flags [F.], seq 6, ack 1, win 64,
//   options [nop,nop,TS val 869494231 ecr 1391913552], length 0
const auto kFin6 =
    hex({"600645b600200640000000000000000000000000000000010000000000000000",
         "00000000000000019b5cb799cdb57da97c2bd45f80110040002800000101080a", "33d36dd752f6ea50"});

TEST(PacketVectors, Ipv4SynHeaderAndOptions) {
    auto ip = parse_ipv4(kSyn4);
    ASSERT_TRUE(ip) << ip.error().what;
    EXPECT_EQ(ip->total_length, 60);
    EXPECT_EQ(ip->identification, 0xa1bd);
    EXPECT_TRUE(ip->dont_fragment);
    EXPECT_FALSE(ip->is_fragment());
    EXPECT_EQ(ip->ttl, 64);
    EXPECT_EQ(ip->protocol, kIpProtoTcp);
    EXPECT_EQ(ip->checksum, 0x9afc);
    EXPECT_EQ(ip->src.to_string(), "127.0.0.1");
    EXPECT_EQ(ip->header_length(), 20u);

    auto d = dissect_ip(kSyn4);
    ASSERT_TRUE(d) << d.error().what;
    ASSERT_TRUE(d->is_tcp);
    const TcpHeader& t = d->tcp;
    EXPECT_EQ(t.src_port, 35434);
    EXPECT_EQ(t.dst_port, 47001);
    EXPECT_EQ(t.seq.raw(), 999631672u);
    EXPECT_EQ(t.flags, f::kSyn);
    EXPECT_EQ(t.window, 65495);
    EXPECT_EQ(t.header_length(), 40u);
    EXPECT_EQ(t.options.mss, 65495);
    EXPECT_TRUE(t.options.sack_permitted);
    ASSERT_TRUE(t.options.timestamps);
    EXPECT_EQ(t.options.timestamps->value, 1434185678u);
    EXPECT_EQ(t.options.timestamps->echo_reply, 0u);
    EXPECT_EQ(t.options.window_scale, 10);
    EXPECT_TRUE(t.options.unknown.empty());
    EXPECT_EQ(d->tcp_payload_length, 0u);
}

TEST(PacketVectors, Ipv4SynAckAckFin) {
    auto syn_ack = dissect_ip(kSynAck4);
    ASSERT_TRUE(syn_ack && syn_ack->is_tcp);
    EXPECT_EQ(syn_ack->tcp.flags, f::kSyn | f::kAck);
    EXPECT_EQ(syn_ack->tcp.seq.raw(), 1450344893u);
    EXPECT_EQ(syn_ack->tcp.ack.raw(), 999631673u);
    EXPECT_EQ(syn_ack->tcp.options.timestamps->echo_reply, 1434185678u);

    auto ack = dissect_ip(kAck4);
    ASSERT_TRUE(ack && ack->is_tcp);
    EXPECT_EQ(ack->tcp.flags, f::kAck);
    EXPECT_EQ(ack->tcp.ack - syn_ack->tcp.seq, 1);  // relative ack 1, as tcpdump prints it
    EXPECT_EQ(ack->tcp.window, 64);
    EXPECT_FALSE(ack->tcp.options.mss);
    EXPECT_EQ(ack->tcp.options.timestamps->echo_reply, 2359172598u);

    auto fin = dissect_ip(kFin4);
    ASSERT_TRUE(fin && fin->is_tcp);
    EXPECT_EQ(fin->tcp.flags, f::kFin | f::kAck);
    EXPECT_EQ(fin->tcp.seq - SeqNum(999631672), 6);
    EXPECT_EQ(fin->tcp_payload_length, 0u);
}

TEST(PacketVectors, Ipv6SynHeaderAndOptions) {
    auto chain = parse_ipv6(kSyn6);
    ASSERT_TRUE(chain) << chain.error().what;
    EXPECT_EQ(chain->header.payload_length, 40);
    EXPECT_EQ(chain->header.flow_label, 0x645b6u);
    EXPECT_EQ(chain->header.hop_limit, 64);
    EXPECT_EQ(chain->upper_protocol, kIpProtoTcp);
    EXPECT_EQ(chain->upper_offset, 40u);
    EXPECT_EQ(chain->header.src.to_string(), "::1");

    auto d = dissect_ip(kSyn6);
    ASSERT_TRUE(d && d->is_tcp);
    EXPECT_EQ(d->ip_version, 6);
    EXPECT_EQ(d->tcp.src_port, 39772);
    EXPECT_EQ(d->tcp.seq.raw(), 3451223459u);
    EXPECT_EQ(d->tcp.flags, f::kSyn);
    EXPECT_EQ(d->tcp.options.mss, 65476);
    EXPECT_TRUE(d->tcp.options.sack_permitted);
    EXPECT_EQ(d->tcp.options.timestamps->value, 869494231u);
    EXPECT_EQ(d->tcp.options.window_scale, 10);
    EXPECT_EQ(d->transport_length, 40u);
}

TEST(PacketVectors, Ipv6SynAckAckFin) {
    auto syn_ack = dissect_ip(kSynAck6);
    ASSERT_TRUE(syn_ack && syn_ack->is_tcp);
    EXPECT_EQ(syn_ack->tcp.flags, f::kSyn | f::kAck);
    EXPECT_EQ(syn_ack->tcp.ack.raw(), 3451223460u);
    auto ack = dissect_ip(kAck6);
    ASSERT_TRUE(ack && ack->is_tcp);
    EXPECT_EQ(ack->tcp.flags, f::kAck);
    EXPECT_EQ(ack->tcp.header_length(), 32u);
    auto fin = dissect_ip(kFin6);
    ASSERT_TRUE(fin && fin->is_tcp);
    EXPECT_EQ(fin->tcp.flags, f::kFin | f::kAck);
    EXPECT_EQ(fin->tcp.seq - syn_ack->tcp.ack, 5);  // 5 bytes of data were sent before the FIN
}

// The IPv4 header checksum of a kernel packet verifies to zero (RFC 1071: sum over the header
// including its checksum field is all ones).
TEST(PacketVectors, KernelIpv4HeaderChecksumVerifies) {
    for (const auto* v : {&kSyn4, &kSynAck4, &kAck4, &kFin4}) {
        EXPECT_EQ(internet_checksum({v->data(), 20}), 0) << "IPv4 header checksum";
    }
}

}  // namespace
}  // namespace tcplab::packet
