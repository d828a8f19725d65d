// Every malformed-input path returns the right ErrorCode at the right offset (and never crashes).
#include <gtest/gtest.h>

#include "packet/dissect.hpp"
#include "packet/ipv4.hpp"
#include "packet/ipv6.hpp"
#include "packet/tcp.hpp"
#include "packet/udp.hpp"
#include "test_util.hpp"

namespace tcplab::packet {
namespace {

using test::hex;

template <class T>
void expect_error(const Result<T>& r, ErrorCode code, std::size_t offset) {
    ASSERT_FALSE(r.ok()) << "expected " << to_string(code);
    EXPECT_EQ(r.error().code, code) << to_string(r.error().code) << ": " << r.error().what;
    EXPECT_EQ(r.error().offset, offset) << r.error().what;
    EXPECT_NE(std::string(r.error().what), "");
}

// A bare 20-byte TCP header: 1000 > 80, flags [S], data offset 5.
std::vector<std::uint8_t> tcp20() {
    return hex({"03e8 0050 00000001 00000000 5002 ffff 0000 0000"});
}

TEST(PacketErrors, ErrorCodeNamesAreStableSnakeCase) {
    EXPECT_EQ(to_string(ErrorCode::truncated), "truncated");
    EXPECT_EQ(to_string(ErrorCode::bad_version), "bad_version");
    EXPECT_EQ(to_string(ErrorCode::bad_header_length), "bad_header_length");
    EXPECT_EQ(to_string(ErrorCode::bad_option_length), "bad_option_length");
    EXPECT_EQ(to_string(ErrorCode::bad_total_length), "bad_total_length");
    EXPECT_EQ(to_string(ErrorCode::unsupported), "unsupported");
}

TEST(PacketErrors, TcpTruncatedHeader) {
    auto b = tcp20();
    for (std::size_t n = 0; n < 20; ++n) {
        expect_error(parse_tcp({b.data(), n}), ErrorCode::truncated, 0);
    }
    EXPECT_TRUE(parse_tcp(b));
}

TEST(PacketErrors, TcpDataOffsetBelowFive) {
    auto b = tcp20();
    for (std::uint8_t off = 0; off < 5; ++off) {
        b[12] = static_cast<std::uint8_t>(off << 4);
        expect_error(parse_tcp(b), ErrorCode::bad_header_length, 12);
    }
}

TEST(PacketErrors, TcpDataOffsetPastTheEnd) {
    auto b = tcp20();
    b[12] = 0x60;  // 24-byte header in a 20-byte span
    expect_error(parse_tcp(b), ErrorCode::bad_header_length, 12);
    b.insert(b.end(), {1, 1, 1, 1});  // now the 4 option bytes (NOPs) are present
    EXPECT_TRUE(parse_tcp(b));
}

TEST(PacketErrors, TcpOptionLengthZeroOneAndOverrun) {
    auto with_options = [](std::vector<std::uint8_t> options) {
        auto b = tcp20();
        b[12] = static_cast<std::uint8_t>((5 + options.size() / 4) << 4);
        b.insert(b.end(), options.begin(), options.end());
        return b;
    };
    // kind 2 (MSS) with length 0 / 1: the length byte (offset 21) is at fault.
    expect_error(parse_tcp(with_options({2, 0, 0, 0})), ErrorCode::bad_option_length, 21);
    expect_error(parse_tcp(with_options({2, 1, 0, 0})), ErrorCode::bad_option_length, 21);
    // NOP, NOP, then a timestamp claiming 10 bytes with 2 left in the options area.
    expect_error(parse_tcp(with_options({1, 1, 8, 10})), ErrorCode::bad_option_length, 23);
    // NOP, NOP, NOP, then a kind with no room for its length byte.
    expect_error(parse_tcp(with_options({1, 1, 1, 8})), ErrorCode::bad_option_length, 23);
    // An EOL ends the list: whatever follows is padding, not an error.
    EXPECT_TRUE(parse_tcp(with_options({0, 8, 99, 0})));
}

TEST(PacketErrors, Ipv4TruncatedBadVersionBadIhlBadTotalLength) {
    // IP 10.0.0.1 > 10.0.0.2: tcp, length 20 (header only)
    auto ip = hex({"45000028 0000 4000 4006 0000 0a000001 0a000002"});
    expect_error(parse_ipv4({}), ErrorCode::truncated, 0);
    expect_error(parse_ipv4({ip.data(), 19}), ErrorCode::truncated, 0);
    auto v6 = ip;
    v6[0] = 0x65;
    expect_error(parse_ipv4(v6), ErrorCode::bad_version, 0);
    auto ihl4 = ip;
    ihl4[0] = 0x44;
    expect_error(parse_ipv4(ihl4), ErrorCode::bad_header_length, 0);
    auto ihl6 = ip;
    ihl6[0] = 0x46;  // 24-byte header in a 20-byte span
    expect_error(parse_ipv4(ihl6), ErrorCode::bad_header_length, 0);
    auto short_total = ip;
    short_total[3] = 19;
    expect_error(parse_ipv4(short_total), ErrorCode::bad_total_length, 2);
    EXPECT_TRUE(parse_ipv4(ip));
}

// IP6 fd7c::1 > fd7c::2: HBH (8 bytes) then TCP. Shrinking the span cuts the chain.
std::vector<std::uint8_t> ipv6_with_hop_by_hop() {
    return hex({"60000000 001c 00 40", "fd7c0000000000000000000000000001",
                "fd7c0000000000000000000000000002", "06 00 0104 00000000",
                "03e8 0050 00000001 00000000 5002 ffff 0000 0000"});
}

TEST(PacketErrors, Ipv6TruncatedAndBadVersion) {
    auto b = ipv6_with_hop_by_hop();
    expect_error(parse_ipv6({b.data(), 39}), ErrorCode::truncated, 0);
    auto v4 = b;
    v4[0] = 0x40;
    expect_error(parse_ipv6(v4), ErrorCode::bad_version, 0);
}

TEST(PacketErrors, Ipv6ExtensionChainPastTheEnd) {
    auto b = ipv6_with_hop_by_hop();
    // Only 4 of the hop-by-hop header's 8 bytes captured.
    expect_error(parse_ipv6({b.data(), 44}), ErrorCode::bad_header_length, 40);
    // Hdr Ext Len 200 claims 1608 bytes.
    auto long_ext = b;
    long_ext[41] = 200;
    expect_error(parse_ipv6(long_ext), ErrorCode::bad_header_length, 40);
    // A chain of two headers where the second (dest options, 60) runs past the end.
    auto two = b;
    two[40] = 60;                   // HBH's next header: destination options
    two.resize(48);                 // the TCP header bytes are gone...
    two.insert(two.end(), {6, 1});  // ...and a dest-options header claims 16 bytes with 2 present
    expect_error(parse_ipv6(two), ErrorCode::bad_header_length, 48);
    // Through dissect the offset is relative to the frame.
    expect_error(dissect(LinkType::raw, {b.data(), 44}), ErrorCode::bad_header_length, 40);
}

TEST(PacketErrors, Ipv6PayloadLengthShorterThanChain) {
    auto b = ipv6_with_hop_by_hop();
    b[5] = 4;  // payload length 4, but the hop-by-hop header alone is 8
    expect_error(parse_ipv6(b), ErrorCode::bad_total_length, 4);
}

TEST(PacketErrors, DissectOffsetsAreFrameRelative) {
    // Ethernet + IPv4 + TCP with data offset 3: the error names byte 14 + 20 + 12 = 46.
    auto frame =
        hex({"020000000002 020000000001 0800", "45000028 0000 4000 4006 0000 0a000001 0a000002",
             "03e8 0050 00000001 00000000 3002 ffff 0000 0000"});
    expect_error(dissect(LinkType::ethernet, frame), ErrorCode::bad_header_length, 46);
    expect_error(dissect(LinkType::ethernet, {frame.data(), 13}), ErrorCode::truncated, 0);
    expect_error(dissect(LinkType::ethernet, {frame.data(), 20}), ErrorCode::truncated, 14);
    expect_error(dissect(LinkType::raw, {}), ErrorCode::truncated, 0);
    expect_error(dissect_ip(hex({"50"})), ErrorCode::bad_version, 0);
    expect_error(dissect(static_cast<LinkType>(147), frame), ErrorCode::unsupported, 0);
}

TEST(PacketErrors, UdpTruncatedAndShortLength) {
    expect_error(parse_udp(hex({"1234 5678 0008"})), ErrorCode::truncated, 0);
    expect_error(parse_udp(hex({"1234 5678 0007 0000"})), ErrorCode::bad_total_length, 4);
    auto ok = parse_udp(hex({"1234 5678 0008 abcd"}));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->src_port, 0x1234);
    EXPECT_EQ(ok->checksum, 0xabcd);
}

// Every prefix of a valid frame either parses or reports an error; none may read out of bounds
// (ASan build) or crash.
TEST(PacketErrors, EveryPrefixOfAFrameIsHandled) {
    auto frame = hex({"020000000002 020000000001 86dd", "60000000 001c 00 40",
                      "fd7c0000000000000000000000000001", "fd7c0000000000000000000000000002",
                      "06 00 0104 00000000", "03e8 0050 00000001 00000000 5002 ffff 0000 0000"});
    std::size_t failures = 0;
    for (std::size_t n = 0; n <= frame.size(); ++n) {
        auto r = dissect(LinkType::ethernet, {frame.data(), n});
        if (!r) ++failures;
    }
    EXPECT_EQ(failures, frame.size());  // only the full frame is complete enough
}

}  // namespace
}  // namespace tcplab::packet
