// build -> parse round trips: every field we write comes back unchanged.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "base/errors.hpp"
#include "packet/builder.hpp"
#include "packet/byte_io.hpp"
#include "packet/dissect.hpp"
#include "test_util.hpp"

namespace tcplab::packet {
namespace {

TcpHeader linux_syn() {
    TcpHeader t;
    t.src_port = 35258;
    t.dst_port = 80;
    t.seq = SeqNum(0xDEADBEEF);
    t.flags = tcp_flag::kSyn;
    t.window = 64800;
    t.option_list = linux_syn_options(1440, true, TcpTimestamps{1, 0}, 7);
    return t;
}

TEST(PacketRoundTrip, LinuxSynOptionsAreTheTwentyByteLayout) {
    // tcpdump: options [mss 1440,sackOK,TS val 1 ecr 0,nop,wscale 7]
    const auto expected = test::hex({"020405a0 0402 080a 00000001 00000000 01 030307"});
    EXPECT_EQ(encode_tcp_options(linux_syn().option_list), expected);
    // Without SACK the timestamp is aligned by two NOPs; without TS, SACK_PERM by two NOPs.
    EXPECT_EQ(encode_tcp_options(linux_syn_options(1460, false, TcpTimestamps{1, 0}, 7)),
              test::hex({"020405b4 0101 080a 00000001 00000000 01 030307"}));
    EXPECT_EQ(encode_tcp_options(linux_syn_options(1460, true, std::nullopt, std::nullopt)),
              test::hex({"020405b4 0101 0402"}));
}

TEST(PacketRoundTrip, TcpOverIpv4AndIpv6) {
    const std::vector<std::uint8_t> payload = {'h', 'e', 'l', 'l', 'o'};
    for (const auto& p : {test::ip_params("198.18.1.2", "198.19.1.2", 0x1234),
                          test::ip_params("fd7c:1:1::2", "fd7c:1:2::2", 0x1234)}) {
        TcpHeader t = linux_syn();
        t.flags = tcp_flag::kPsh | tcp_flag::kAck;
        t.ack = SeqNum(42);
        t.urgent_pointer = 7;
        const auto bytes = build_tcp_packet(p, t, payload);
        auto d = dissect_ip(bytes);
        ASSERT_TRUE(d) << d.error().what;
        ASSERT_TRUE(d->is_tcp);
        EXPECT_EQ(d->src, p.src);
        EXPECT_EQ(d->dst, p.dst);
        EXPECT_EQ(d->tcp.src_port, t.src_port);
        EXPECT_EQ(d->tcp.dst_port, t.dst_port);
        EXPECT_EQ(d->tcp.seq, t.seq);
        EXPECT_EQ(d->tcp.ack, t.ack);
        EXPECT_EQ(d->tcp.flags, t.flags);
        EXPECT_EQ(d->tcp.window, t.window);
        EXPECT_EQ(d->tcp.urgent_pointer, 7);
        EXPECT_EQ(d->tcp.data_offset, 10);  // 20 option bytes
        EXPECT_EQ(d->tcp.options.mss, 1440);
        EXPECT_EQ(d->tcp.options.window_scale, 7);
        EXPECT_EQ(d->tcp_payload_length, 5u);
        EXPECT_EQ(d->captured_payload, 5u);
        EXPECT_EQ(std::vector<std::uint8_t>(
                      bytes.begin() + static_cast<long>(d->tcp_payload_offset), bytes.end()),
                  payload);
    }
}

TEST(PacketRoundTrip, SackBlocksAndUnknownOptionsSurvive) {
    TcpHeader t;
    t.flags = tcp_flag::kAck;
    t.option_list = {
        TcpOption::make_nop(), TcpOption::make_nop(),
        TcpOption::make_sack({{SeqNum(1000), SeqNum(2000)}, {SeqNum(3000), SeqNum(4000)}}),
        TcpOption::make_raw(30, {0xAB, 0xCD})};  // kind 30 (MPTCP) kept raw
    auto bytes = build_tcp_packet(test::ip_params("198.18.1.2", "198.19.1.2", 0x1234), t, {});
    auto d = dissect_ip(bytes);
    ASSERT_TRUE(d && d->is_tcp);
    ASSERT_EQ(d->tcp.options.sack().size(), 2u);
    EXPECT_EQ(d->tcp.options.sack()[1], (SackBlock{SeqNum(3000), SeqNum(4000)}));
    ASSERT_EQ(d->tcp.options.unknown.size(), 1u);
    EXPECT_EQ(d->tcp.options.unknown[0], (RawTcpOption{30, {0xAB, 0xCD}}));

    // A parsed header re-encodes from its typed options when option_list is empty.
    TcpHeader again = d->tcp;
    auto bytes2 = build_tcp_packet(test::ip_params("198.18.1.2", "198.19.1.2", 0x1234), again, {});
    auto d2 = dissect_ip(bytes2);
    ASSERT_TRUE(d2 && d2->is_tcp);
    EXPECT_EQ(d2->tcp.options.sack().size(), 2u);
    EXPECT_EQ(d2->tcp.options.unknown, d->tcp.options.unknown);
}

TEST(PacketRoundTrip, OptionsLongerThanFortyBytesAreRefused) {
    std::vector<TcpOption> too_many(10, TcpOption::make_timestamps(1, 2));
    EXPECT_THROW(encode_tcp_options(too_many), UsageError);
    TcpHeader t;
    t.option_list = too_many;
    EXPECT_THROW(build_tcp_packet(test::ip_params("198.18.1.2", "198.19.1.2", 0x1234), t, {}),
                 UsageError);
    EXPECT_THROW(
        build_tcp_packet(test::ip_params("198.18.1.2", "fd7c::2", 0x1234), TcpHeader{}, {}),
        UsageError);
}

TEST(PacketRoundTrip, UdpOverIpv4AndIpv6) {
    const std::vector<std::uint8_t> payload(33, 0x5A);
    for (const auto& p : {test::ip_params("198.18.1.2", "198.19.1.2", 0x1234),
                          test::ip_params("fd7c:1:1::2", "fd7c:1:2::2", 0x1234)}) {
        UdpHeader u;
        u.src_port = 5353;
        u.dst_port = 9;
        auto bytes = build_udp_packet(p, u, payload);
        auto d = dissect_ip(bytes);
        ASSERT_TRUE(d);
        EXPECT_FALSE(d->is_tcp);
        EXPECT_EQ(d->protocol, kIpProtoUdp);
        EXPECT_EQ(d->transport_length, 41u);
        auto parsed = parse_udp({bytes.data() + d->transport_offset, 8});
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->length, 41);
        EXPECT_EQ(parsed->dst_port, 9);
    }
}

TEST(PacketRoundTrip, Ipv4OptionsArePaddedAndKept) {
    Ipv4Header h;
    h.src = *IpAddress::parse("198.18.1.2");
    h.dst = *IpAddress::parse("198.19.1.2");
    h.options = {0x94, 0x04, 0x00, 0x00, 0x01};  // router alert + a NOP: padded to 8 bytes
    std::vector<std::uint8_t> out;
    write_ipv4(h, 0, out);
    ASSERT_EQ(out.size(), 28u);
    EXPECT_EQ(out[0], 0x47);
    EXPECT_EQ(internet_checksum(out), 0);  // header checksum verifies
    auto back = parse_ipv4(out);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->options.size(), 8u);
    EXPECT_EQ(back->options[0], 0x94);
    EXPECT_EQ(back->header_length(), 28u);
}

TEST(ByteIo, ReaderStopsAtTheEndAndFlagsFailure) {
    const std::uint8_t raw[] = {0x12, 0x34, 0x56};
    ByteReader r(raw, 100);
    EXPECT_EQ(r.offset(), 100u);
    EXPECT_TRUE(r.need(3));
    EXPECT_FALSE(r.need(4));
    EXPECT_EQ(r.u16(), 0x1234);
    EXPECT_EQ(r.u32(), 0u);  // only one byte left
    EXPECT_TRUE(r.failed());
    EXPECT_EQ(r.u8(), 0x56);
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_TRUE(r.bytes(1).empty());

    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    w.u32(0x01020304);
    w.u16(0);
    w.patch_u16(4, 0xBEEF);
    w.zeros(2);
    EXPECT_EQ(out, test::hex({"01020304 beef 0000"}));
}

TEST(IpAddressText, ParseAndPrint) {
    auto v4 = IpAddress::parse("198.18.1.2");
    ASSERT_TRUE(v4);
    EXPECT_TRUE(v4->is_v4());
    EXPECT_EQ(*v4, IpAddress::v4(0xC6120102));
    EXPECT_EQ(v4->to_string(), "198.18.1.2");
    auto v6 = IpAddress::parse("fd7c:0:1::2");
    ASSERT_TRUE(v6);
    EXPECT_FALSE(v6->is_v4());
    EXPECT_EQ(v6->to_string(), "fd7c:0:1::2");
    EXPECT_FALSE(IpAddress::parse("198.18.1"));
    EXPECT_FALSE(IpAddress::parse(""));
    EXPECT_FALSE(IpAddress::parse("fd7c::1::2"));

    auto e4 = Endpoint::parse("198.18.1.2:80");
    ASSERT_TRUE(e4);
    EXPECT_EQ(e4->port, 80);
    EXPECT_EQ(e4->to_string(), "198.18.1.2:80");
    auto e6 = Endpoint::parse("[fd7c::2]:443");
    ASSERT_TRUE(e6);
    EXPECT_EQ(e6->to_string(), "[fd7c::2]:443");
    EXPECT_FALSE(Endpoint::parse("198.18.1.2:65536"));
    EXPECT_FALSE(Endpoint::parse("198.18.1.2:"));
    EXPECT_FALSE(Endpoint::parse("198.18.1.2"));
    EXPECT_FALSE(Endpoint::parse("fd7c::2:80"));  // ambiguous without brackets
    EXPECT_FALSE(Endpoint::parse("[198.18.1.2]:80"));
}

// The IPv4 text is written without inet_ntop: it must be the text inet_ntop writes, for every
// width of every octet.
TEST(IpAddressText, Ipv4TextIsInetNtops) {
    for (const std::uint32_t a : {0x00000000u, 0xffffffffu, 0x0a000001u, 0x09630a64u, 0xc6120102u,
                                  0x01020304u, 0x64c8ff00u, 0x7f000001u}) {
        const IpAddress address = IpAddress::v4(a);
        char expected[INET_ADDRSTRLEN] = {};
        ASSERT_NE(inet_ntop(AF_INET, address.bytes.data(), expected, sizeof expected), nullptr);
        EXPECT_EQ(address.to_string(), expected);
    }
}

// The forwarder and the path diff leave such frames alone: they are never lab connections.
TEST(IpAddressText, ScopedOrGroupAddresses) {
    for (const char* a : {"224.0.0.251", "255.255.255.255", "169.254.1.1", "127.0.0.1", "0.0.0.0",
                          "ff02::1", "fe80::1", "::1", "::"}) {
        EXPECT_TRUE(IpAddress::parse(a)->is_scoped_or_group()) << a;
    }
    for (const char* a :
         {"198.18.1.2", "198.19.1.2", "10.0.0.1", "fd7c:1:1::2", "2001:db8::1", "::2"}) {
        EXPECT_FALSE(IpAddress::parse(a)->is_scoped_or_group()) << a;
    }
}

}  // namespace
}  // namespace tcplab::packet
