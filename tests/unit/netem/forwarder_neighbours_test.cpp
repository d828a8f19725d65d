// The forwarder's neighbour questions, byte for byte: ARP request and ICMPv6 Neighbour
// Solicitation (checked against the RFC layouts; tshark decodes both the same way, and the
// integration test forwarder_neighbours_test has real kernels answer them).
#include <gtest/gtest.h>

#include "netem/forwarder/detail/neighbours.hpp"
#include "packet/checksum.hpp"

namespace tcplab::netem {
namespace {

const MacAddress kOwn = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

packet::IpAddress ip(const char* text) { return *packet::IpAddress::parse(text); }

// tcpdump -e: 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, Request who-has 198.19.7.2 tell
// 198.19.7.1
TEST(ForwarderNeighbours, ArpRequest) {
    const std::vector<std::uint8_t> expected = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,  // eth
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,            // request
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 198,  19,   7,    1,   // sender
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198,  19,   7,    2};  // target
    EXPECT_EQ(arp_request(kOwn, ip("198.19.7.1"), ip("198.19.7.2")), expected);
}

// tcpdump -e: 02:00:00:00:00:01 > 33:33:ff:00:00:02, IPv6 fe80::1 > ff02::1:ff00:2:
//   ICMP6, neighbor solicitation, who has fd7c:7:2::2, source link-address 02:00:00:00:00:01
TEST(ForwarderNeighbours, NeighbourSolicitation) {
    const auto f = neighbour_solicitation(kOwn, ip("fe80::1"), ip("fd7c:7:2::2"));
    ASSERT_EQ(f.size(), 86u);
    const std::vector<std::uint8_t> eth = {0x33, 0x33, 0xff, 0x00, 0x00, 0x02, 0x02,
                                           0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd};
    EXPECT_TRUE(std::equal(eth.begin(), eth.end(), f.begin()));
    EXPECT_EQ(f[14], 0x60);
    EXPECT_EQ((f[18] << 8) | f[19], 32);  // payload length
    EXPECT_EQ(f[20], 58);                 // ICMPv6
    EXPECT_EQ(f[21], 255);                // hop limit
    const auto group = ip("ff02::1:ff00:2");
    EXPECT_TRUE(std::equal(group.bytes.begin(), group.bytes.end(), f.begin() + 38));
    EXPECT_EQ(f[54], 135);
    EXPECT_EQ(f[55], 0);
    const auto target = ip("fd7c:7:2::2");
    EXPECT_TRUE(std::equal(target.bytes.begin(), target.bytes.end(), f.begin() + 62));
    EXPECT_EQ(f[78], 1);  // source link-layer address option, 8 bytes
    EXPECT_EQ(f[79], 1);
    EXPECT_TRUE(std::equal(kOwn.begin(), kOwn.end(), f.begin() + 80));
    // A correct checksum makes the sum over pseudo-header + message (checksum included) verify.
    const packet::PseudoHeader pseudo{ip("fe80::1"), group, 58, 32};
    EXPECT_EQ(packet::transport_checksum(pseudo, {f.data() + 54, 32}), 0);
}

TEST(ForwarderNeighbours, QuestionFollowsTheHeldFramesFamily) {
    InterfaceAddresses own{ip("198.19.7.1"), ip("fe80::1")};
    std::vector<std::uint8_t> v4(14 + 20, 0);
    v4[12] = 0x08;
    v4[14 + 16] = 198, v4[14 + 17] = 19, v4[14 + 18] = 7, v4[14 + 19] = 2;
    EXPECT_EQ(solicitation_for(v4, kOwn, own),
              arp_request(kOwn, ip("198.19.7.1"), ip("198.19.7.2")));

    std::vector<std::uint8_t> v6(14 + 40, 0);
    v6[12] = 0x86, v6[13] = 0xdd;
    const auto dst = ip("fd7c:7:2::2");
    std::copy(dst.bytes.begin(), dst.bytes.end(), v6.begin() + 14 + 24);
    EXPECT_EQ(solicitation_for(v6, kOwn, own), neighbour_solicitation(kOwn, ip("fe80::1"), dst));

    EXPECT_FALSE(solicitation_for(v6, kOwn, InterfaceAddresses{ip("198.19.7.1"), std::nullopt}));
    EXPECT_FALSE(solicitation_for(std::vector<std::uint8_t>(10, 0), kOwn, own));  // runt
    std::vector<std::uint8_t> arp(42, 0);
    arp[12] = 0x08, arp[13] = 0x06;
    EXPECT_FALSE(solicitation_for(arp, kOwn, own));
}

}  // namespace
}  // namespace tcplab::netem
