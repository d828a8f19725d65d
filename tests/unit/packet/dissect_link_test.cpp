// dissect() over every link type we claim, plus the frame shapes the analyzer meets in real
// captures: snaplen cuts, Ethernet padding, fragments, non-IP frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "packet/builder.hpp"
#include "packet/dissect.hpp"
#include "test_util.hpp"

namespace tcplab::packet {
namespace {

using test::hex;

// 198.18.1.2.35258 > 198.19.1.2.80: Flags [P.], seq 1000:1010, ack 1, win 502,
//   options [nop,nop,TS val 5 ecr 6], length 10
std::vector<std::uint8_t> ipv4_tcp() {
    TcpHeader t;
    t.src_port = 35258;
    t.dst_port = 80;
    t.seq = SeqNum(1000);
    t.ack = SeqNum(1);
    t.flags = tcp_flag::kPsh | tcp_flag::kAck;
    t.window = 502;
    t.option_list = {TcpOption::make_nop(), TcpOption::make_nop(),
                     TcpOption::make_timestamps(5, 6)};
    return build_tcp_packet(test::ip_params("198.18.1.2", "198.19.1.2"), t,
                            std::vector<std::uint8_t>(10, 'x'));
}

// fd7c:1:1::2.35258 > fd7c:1:2::2.80: Flags [S], seq 7, win 65535, length 0
std::vector<std::uint8_t> ipv6_tcp() {
    TcpHeader t;
    t.src_port = 35258;
    t.dst_port = 80;
    t.seq = SeqNum(7);
    t.flags = tcp_flag::kSyn;
    t.window = 65535;
    return build_tcp_packet(test::ip_params("fd7c:1:1::2", "fd7c:1:2::2"), t, {});
}

struct LinkCase {
    const char* name;
    LinkType type;
    std::vector<std::uint8_t> header;  // link header bytes preceding the IP packet
    bool v6;
    std::uint8_t vlans;
};

class EachLinkType : public ::testing::TestWithParam<LinkCase> {};

TEST_P(EachLinkType, FindsIpAndTcp) {
    const auto& c = GetParam();
    const auto ip = c.v6 ? ipv6_tcp() : ipv4_tcp();
    const auto frame = test::concat(c.header, ip);
    auto link = parse_link(c.type, frame);
    ASSERT_TRUE(link) << link.error().what;
    EXPECT_EQ(link->network_offset, c.header.size());
    EXPECT_EQ(link->ether_type, c.v6 ? kEtherTypeIpv6 : kEtherTypeIpv4);
    EXPECT_EQ(link->vlan_count, c.vlans);
    auto d = dissect(c.type, frame);
    ASSERT_TRUE(d) << d.error().what;
    ASSERT_TRUE(d->is_tcp);
    EXPECT_EQ(d->ip_version, c.v6 ? 6 : 4);
    EXPECT_EQ(d->ip_offset, c.header.size());
    EXPECT_EQ(d->tcp.src_port, 35258);
    EXPECT_EQ(d->tcp_payload_length, c.v6 ? 0u : 10u);
    EXPECT_EQ(d->tcp_payload_offset + d->captured_payload, frame.size());
    EXPECT_TRUE(is_supported(static_cast<std::uint32_t>(c.type)));
}

const auto kEth = hex({"020000000002 020000000001"});  // dst, src MAC

INSTANTIATE_TEST_SUITE_P(
    Table, EachLinkType,
    ::testing::Values(
        LinkCase{"Ethernet4", LinkType::ethernet, test::concat(kEth, hex({"0800"})), false, 0},
        LinkCase{"Ethernet6", LinkType::ethernet, test::concat(kEth, hex({"86dd"})), true, 0},
        LinkCase{"Vlan", LinkType::ethernet, test::concat(kEth, hex({"8100 0064 0800"})), false, 1},
        LinkCase{"QinQ", LinkType::ethernet, test::concat(kEth, hex({"88a8 00c8 8100 0064 86dd"})),
                 true, 2},
        // SLL: packet type 0 (to us), ARPHRD_ETHER, address length 6, address + 2 pad, protocol.
        LinkCase{"Sll", LinkType::linux_sll, hex({"0000 0001 0006 020000000001 0000 0800"}), false,
                 0},
        // SLL2: protocol, reserved, ifindex 2, ARPHRD_ETHER, packet type, addr len, address.
        LinkCase{"Sll2", LinkType::linux_sll2,
                 hex({"86dd 0000 00000002 0001 00 06 0200000000010000"}), true, 0},
        LinkCase{"NullLittleEndianAfInet", LinkType::null_loopback, hex({"02000000"}), false, 0},
        LinkCase{"NullBigEndianAfInet", LinkType::null_loopback, hex({"00000002"}), false, 0},
        LinkCase{"NullLinuxAfInet6", LinkType::null_loopback, hex({"0a000000"}), true, 0},
        LinkCase{"NullBsdAfInet6", LinkType::null_loopback, hex({"18000000"}), true, 0},
        LinkCase{"NullFreeBsdAfInet6", LinkType::null_loopback, hex({"1c000000"}), true, 0},
        LinkCase{"NullDarwinAfInet6", LinkType::null_loopback, hex({"1e000000"}), true, 0},
        LinkCase{"OpenBsdLoop", LinkType::loop, hex({"00000018"}), true, 0},
        LinkCase{"Raw4", LinkType::raw, {}, false, 0}, LinkCase{"Raw6", LinkType::raw, {}, true, 0},
        LinkCase{"Ipv4", LinkType::ipv4, {}, false, 0},
        LinkCase{"Ipv6", LinkType::ipv6, {}, true, 0}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Dissect, UnsupportedLinkTypesAndNonIpFrames) {
    EXPECT_FALSE(is_supported(147));
    EXPECT_FALSE(is_supported(2));
    // ARP over Ethernet: not an error, just not IP.
    const auto arp = test::concat(kEth, hex({"0806 0001 0800 0604 0001"}));
    auto d = dissect(LinkType::ethernet, arp);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->ip_version, 0);
    EXPECT_FALSE(d->is_tcp);
    // UDP is IP but not TCP.
    UdpHeader u;
    auto udp = dissect_ip(build_udp_packet(test::ip_params("198.18.1.2", "198.19.1.2"), u, {}));
    ASSERT_TRUE(udp);
    EXPECT_EQ(udp->ip_version, 4);
    EXPECT_EQ(udp->protocol, kIpProtoUdp);
    EXPECT_FALSE(udp->is_tcp);
}

TEST(Dissect, WriteEthernetWithQinQTags) {
    EthernetHeader e;
    e.dst = {2, 0, 0, 0, 0, 2};
    e.src = {2, 0, 0, 0, 0, 1};
    e.vlan_tags = {200, 100};
    e.ether_type = kEtherTypeIpv4;
    std::vector<std::uint8_t> out;
    write_ethernet(e, out);
    EXPECT_EQ(out, test::concat(kEth, hex({"88a8 00c8 8100 0064 0800"})));
}

// A capture with snaplen 80: the IP header says 10 payload bytes, 0 of them are in the frame.
// seglen (what tshark's analysis is built on) comes from the IP length, not the capture.
TEST(Dissect, SnaplenTruncatedFrameKeepsIpLengths) {
    const auto full = test::concat(test::concat(kEth, hex({"0800"})), ipv4_tcp());
    ASSERT_EQ(full.size(), 14u + 20 + 32 + 10);
    for (std::size_t snaplen : {66u, 70u, 75u}) {
        auto d = dissect(LinkType::ethernet, {full.data(), snaplen});
        ASSERT_TRUE(d) << d.error().what;
        ASSERT_TRUE(d->is_tcp);
        EXPECT_EQ(d->transport_length, 42u);
        EXPECT_EQ(d->tcp_payload_length, 10u);
        EXPECT_EQ(d->tcp_payload_offset, 66u);
        EXPECT_EQ(d->captured_payload, snaplen - 66);
    }
    // Cutting into the TCP header itself is an error (the header is what we need).
    auto cut = dissect(LinkType::ethernet, {full.data(), 60});
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error().code, ErrorCode::bad_header_length);  // options announced, not present
}

// Ethernet pads frames to 60 bytes; the padding is not TCP payload.
TEST(Dissect, EthernetPaddingIsNotPayload) {
    TcpHeader t;
    t.flags = tcp_flag::kAck;
    const auto ip = build_tcp_packet(test::ip_params("198.18.1.2", "198.19.1.2"), t, {});
    auto frame = test::concat(test::concat(kEth, hex({"0800"})), ip);
    frame.resize(60, 0);  // 6 bytes of padding
    auto d = dissect(LinkType::ethernet, frame);
    ASSERT_TRUE(d && d->is_tcp);
    EXPECT_EQ(d->tcp_payload_length, 0u);
    EXPECT_EQ(d->captured_payload, 0u);
}

// IP 198.18.1.2 > 198.19.1.2: tcp (frag 0x4242:16@1480) -- a non-first fragment
TEST(Dissect, NonFirstIpv4FragmentIsNotParsedPastIp) {
    auto ip = ipv4_tcp();
    ip[6] = 0x00;
    ip[7] = 185;  // offset 185*8 = 1480, MF clear, DF clear
    auto d = dissect_ip(ip);
    ASSERT_TRUE(d) << d.error().what;
    EXPECT_TRUE(d->is_fragment);
    EXPECT_FALSE(d->is_first_fragment);
    EXPECT_FALSE(d->is_tcp);
    EXPECT_EQ(d->protocol, kIpProtoTcp);
    // Its "TCP header" may be garbage: it must not be judged. Corrupt the data offset.
    ip[20 + 12] = 0x10;
    EXPECT_TRUE(dissect_ip(ip));

    // The first fragment (MF set, offset 0) is parsed.
    auto first = ipv4_tcp();
    first[6] = 0x20;
    first[7] = 0;
    auto f = dissect_ip(first);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->is_fragment);
    EXPECT_TRUE(f->is_first_fragment);
    EXPECT_TRUE(f->is_tcp);
}

// IP6 fd7c:1:1::2 > fd7c:1:2::2: frag (1448|8) -- fragment header, offset 1448, then data
TEST(Dissect, NonFirstIpv6FragmentIsNotParsedPastIp) {
    auto frag = hex({"60000000 0010 2c 40", "fd7c0001000100000000000000000002",
                     "fd7c0001000200000000000000000002",
                     "06 00 0b50 00001234",  // next TCP, offset 181 (1448 bytes), M=0
                     "ffffffffffffffff"});   // 8 bytes of fragment data
    auto chain = parse_ipv6(frag);
    ASSERT_TRUE(chain) << chain.error().what;
    EXPECT_TRUE(chain->is_fragment);
    EXPECT_FALSE(chain->is_first_fragment);
    EXPECT_EQ(chain->upper_protocol, kIpProtoTcp);
    EXPECT_EQ(chain->upper_offset, 48u);
    auto d = dissect_ip(frag);
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->is_tcp);
    EXPECT_FALSE(d->is_first_fragment);
    EXPECT_EQ(d->transport_length, 8u);
}

// IP6 fd7c::1 > fd7c::2: HBH, DSTOPT, RT, AH, frag(0|..) then TCP: the walk crosses every kind.
TEST(Dissect, Ipv6ExtensionWalkReachesTcp) {
    const auto tcp = hex({"03e8 0050 00000001 00000000 5002 ffff 0000 0000"});
    auto pkt = hex({"60000000 0000 00 40", "fd7c0000000000000000000000000001",
                    "fd7c0000000000000000000000000002",
                    "3c 00 0104 00000000",                  // hop-by-hop (8), next dest opts
                    "2b 01 010c 000000000000000000000000",  // dest options (16), next routing
                    "33 00 00 00 00000000",                 // routing (8), next AH
                    "2c 02 0000 00000001 00000001 ",        // AH (len 2 -> 16 bytes), next frag
                    "00000000", "06 00 0001 00000099"});    // fragment: offset 0, M=1
    pkt.insert(pkt.end(), tcp.begin(), tcp.end());
    const std::size_t payload = pkt.size() - 40;
    pkt[4] = static_cast<std::uint8_t>(payload >> 8);
    pkt[5] = static_cast<std::uint8_t>(payload);
    auto chain = parse_ipv6(pkt);
    ASSERT_TRUE(chain) << chain.error().what << " at " << chain.error().offset;
    EXPECT_EQ(chain->upper_offset, 40u + 8 + 16 + 8 + 16 + 8);
    EXPECT_EQ(chain->upper_protocol, kIpProtoTcp);
    EXPECT_TRUE(chain->is_fragment);
    EXPECT_TRUE(chain->is_first_fragment);
    auto d = dissect_ip(pkt);
    ASSERT_TRUE(d && d->is_tcp);
    EXPECT_EQ(d->tcp.dst_port, 80);
    EXPECT_EQ(d->transport_length, 20u);
}

}  // namespace
}  // namespace tcplab::packet

namespace tcplab::packet {
namespace {

// Captured before TSO segmentation the IPv4 total length is 0; Wireshark (ip.tso_support)
// then takes the length from the capture, and so do we.
TEST(Dissect, TsoZeroTotalLengthUsesCapturedLength) {
    auto ip = ipv4_tcp();
    ip[2] = 0;
    ip[3] = 0;
    auto d = dissect_ip(ip);
    ASSERT_TRUE(d) << d.error().what;
    ASSERT_TRUE(d->is_tcp);
    EXPECT_EQ(d->transport_length, 42u);
    EXPECT_EQ(d->tcp_payload_length, 10u);
}

}  // namespace
}  // namespace tcplab::packet

namespace tcplab::packet {
namespace {

// 198.18.7.1 > 198.18.7.2: GREv0, proto IPv4: 198.18.1.2.35258 > 198.19.1.2.80: Flags [P.]
// dissect() stops at the GRE packet a router forwards; dissect_innermost() reaches the TCP.
TEST(Dissect, GreIsOuterForDissectAndInnerForDissectInnermost) {
    const auto inner = ipv4_tcp();
    const auto frame = test::concat(hex({"020000000002 020000000001 0800"}),
                                    build_ip_packet(test::ip_params("198.18.7.1", "198.18.7.2"), 47,
                                                    test::concat(hex({"0000 0800"}), inner)));
    const auto outer = dissect(LinkType::ethernet, frame);
    ASSERT_TRUE(outer) << outer.error().what;
    EXPECT_FALSE(outer->is_tcp);
    EXPECT_EQ(outer->protocol, 47);
    EXPECT_EQ(outer->ip_offset, 14u);
    const auto innermost = dissect_innermost(LinkType::ethernet, frame);
    ASSERT_TRUE(innermost) << innermost.error().what;
    EXPECT_TRUE(innermost->is_tcp);
    EXPECT_EQ(innermost->tunnels, 1);
    EXPECT_EQ(innermost->ip_offset, 14u + 20 + 4);
    EXPECT_EQ(innermost->src.to_string(), "198.18.1.2");
    EXPECT_EQ(innermost->tcp_payload_length, 10u);
    EXPECT_EQ(transport_ip_offset(LinkType::ethernet, frame), innermost->ip_offset);
}

// MPLS (two labels) is not IP to a router; the analyzer reads the IPv6 packet under the stack.
TEST(Dissect, MplsIsNotIpForDissectButIsForDissectInnermost) {
    const auto frame =
        test::concat(hex({"020000000002 020000000001 8847", "00010040 00020140"}), ipv6_tcp());
    const auto outer = dissect(LinkType::ethernet, frame);
    ASSERT_TRUE(outer);
    EXPECT_EQ(outer->ip_version, 0);
    const auto innermost = dissect_innermost(LinkType::ethernet, frame);
    ASSERT_TRUE(innermost) << innermost.error().what;
    EXPECT_TRUE(innermost->is_tcp);
    EXPECT_EQ(innermost->ip_version, 6);
    EXPECT_EQ(innermost->tunnels, 0);
    // Cut inside the label stack: a truncated MPLS header, at its offset.
    const std::vector<std::uint8_t> cut(frame.begin(), frame.begin() + 20);
    const auto error = dissect_innermost(LinkType::ethernet, cut);
    ASSERT_FALSE(error);
    EXPECT_EQ(error.error().code, ErrorCode::truncated);
    EXPECT_EQ(error.error().offset, 18u);
}

// What dissect_innermost_into() must give, frame by frame, in a Dissected reused since the
// previous frame: what dissect_innermost() gives in a fresh one, for every field that describes
// a layer reached.
void expect_same_layers(const Dissected& reused, const Dissected& fresh) {
    const auto layers = [](const Dissected& d) {
        return std::tie(d.ip_version, d.tunnels, d.is_tcp);
    };
    const auto ip = [](const Dissected& d) {
        return std::tie(d.src, d.dst, d.protocol, d.ip_offset, d.transport_offset,
                        d.transport_length, d.is_fragment, d.is_first_fragment);
    };
    const auto tcp = [](const Dissected& d) {
        const TcpHeader& t = d.tcp;
        return std::tie(t.src_port, t.dst_port, t.seq, t.ack, t.data_offset, t.flags, t.window,
                        t.checksum, t.urgent_pointer, d.tcp_payload_length, d.tcp_payload_offset,
                        d.captured_payload);
    };
    const auto options = [](const Dissected& d) {
        const TcpOptions& o = d.tcp.options;
        return std::tie(o.mss, o.window_scale, o.sack_permitted, o.timestamps, o.unknown);
    };
    EXPECT_EQ(layers(reused), layers(fresh));
    if (fresh.ip_version != 0) {
        EXPECT_EQ(ip(reused), ip(fresh));
    }
    if (!fresh.is_tcp) return;
    EXPECT_EQ(tcp(reused), tcp(fresh));
    EXPECT_EQ(options(reused), options(fresh));
    EXPECT_TRUE(std::ranges::equal(reused.tcp.options.sack(), fresh.tcp.options.sack()));
}

// Each frame after one that set more: every option kind (and an unknown one) then none, a
// tunnel then none, TCP then ARP, UDP, a later fragment, and a frame in error.
TEST(Dissect, InnermostIntoAReusedResultReadsEachFrameAsAFreshOne) {
    TcpHeader t;
    t.flags = tcp_flag::kSyn | tcp_flag::kAck;
    t.option_list = linux_syn_options(1460, true, TcpTimestamps{1, 2}, 7);
    t.option_list.push_back(TcpOption::make_sack({{SeqNum(3), SeqNum(4)}}));
    t.option_list.push_back(TcpOption::make_raw(30, {1, 2}));
    const auto ethernet4 = test::concat(kEth, hex({"0800"}));
    const auto all_options = test::concat(
        ethernet4, build_tcp_packet(test::ip_params("198.18.1.2", "198.19.1.2"), t, {}));
    const auto gre =
        test::concat(ethernet4, build_ip_packet(test::ip_params("198.18.7.1", "198.18.7.2"), 47,
                                                test::concat(hex({"0000 0800"}), ipv4_tcp())));
    const auto plain = test::concat(ethernet4, ipv4_tcp());
    const auto arp = test::concat(kEth, hex({"0806 0001 0800 0604 0001"}));
    UdpHeader u;
    const auto udp = test::concat(
        ethernet4, build_udp_packet(test::ip_params("198.18.3.4", "198.19.3.4"), u, {}));
    auto later_fragment = ipv4_tcp();
    later_fragment[6] = 0x00;
    later_fragment[7] = 185;
    later_fragment = test::concat(ethernet4, later_fragment);
    const auto v6 = test::concat(kEth, test::concat(hex({"86dd"}), ipv6_tcp()));
    const std::vector<std::uint8_t> cut(plain.begin(), plain.begin() + 40);

    const std::vector<std::vector<std::uint8_t>> frames = {
        all_options,    gre,         plain, all_options, arp,         all_options, udp, all_options,
        later_fragment, all_options, cut,   v6,          all_options, plain};
    Dissected reused;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i));
        const auto fresh = dissect_innermost(LinkType::ethernet, frames[i]);
        const auto error = dissect_innermost_into(LinkType::ethernet, frames[i], reused);
        ASSERT_EQ(error.has_value(), !fresh);
        if (error) {
            EXPECT_EQ(error->code, fresh.error().code);
            EXPECT_EQ(error->offset, fresh.error().offset);
            continue;
        }
        expect_same_layers(reused, *fresh);
    }
    // The frames above do reach what they are meant to.
    EXPECT_TRUE(dissect_innermost(LinkType::ethernet, all_options)->tcp.options.mss);
    EXPECT_EQ(dissect_innermost(LinkType::ethernet, all_options)->tcp.options.unknown.size(), 1u);
    EXPECT_EQ(dissect_innermost(LinkType::ethernet, gre)->tunnels, 1);
    EXPECT_TRUE(dissect_innermost(LinkType::ethernet, later_fragment)->is_fragment);
    EXPECT_FALSE(dissect_innermost(LinkType::ethernet, cut));
}

}  // namespace
}  // namespace tcplab::packet
