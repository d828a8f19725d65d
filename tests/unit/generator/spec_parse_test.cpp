// Command-line value parsers: flags, options, ranges; bad text is a UsageError naming the flag.
#include "generator/spec_parse.hpp"

#include <gtest/gtest.h>

#include "base/errors.hpp"
#include "generator/tcp_client.hpp"

namespace tcplab::gen {
namespace {

namespace flag = packet::tcp_flag;

struct FlagCase {
    const char* text;
    std::uint16_t bits;
};
class TcpFlagsParse : public ::testing::TestWithParam<FlagCase> {};

TEST_P(TcpFlagsParse, ByNameOrHex) {
    EXPECT_EQ(parse_tcp_flags(GetParam().text, "flags"), GetParam().bits);
}

INSTANTIATE_TEST_SUITE_P(
    Flags, TcpFlagsParse,
    ::testing::Values(FlagCase{"SYN", flag::kSyn}, FlagCase{"syn,ack", flag::kSyn | flag::kAck},
                      FlagCase{"FIN+ACK", flag::kFin | flag::kAck},
                      FlagCase{"RST|ACK", flag::kRst | flag::kAck},
                      FlagCase{"SYN,ECE,CWR", flag::kSyn | flag::kEce | flag::kCwr},
                      FlagCase{"AE", flag::kAe}, FlagCase{"0x012", 0x012},
                      FlagCase{"0x1ff", 0x1ff}));

TEST(SpecParse, BadFlagsNameTheFlagAndTheText) {
    try {
        (void)parse_tcp_flags("SYN,BOGUS", "flags");
        FAIL() << "no exception";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("--flags 'SYN,BOGUS'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("BOGUS"), std::string::npos);
    }
    EXPECT_THROW((void)parse_tcp_flags("0x200", "flags"), UsageError);
}

TEST(SpecParse, RawOption) {
    const auto option = parse_raw_option("30:0102ab", "option");
    EXPECT_EQ(option.kind, packet::TcpOption::Kind::raw);
    EXPECT_EQ(option.raw.kind, 30);
    EXPECT_EQ(option.raw.data, (std::vector<std::uint8_t>{0x01, 0x02, 0xab}));
    EXPECT_TRUE(parse_raw_option("253", "option").raw.data.empty());
    EXPECT_THROW((void)parse_raw_option("256:00", "option"), UsageError);
    EXPECT_THROW((void)parse_raw_option("30:012", "option"), UsageError);
    EXPECT_THROW((void)parse_raw_option("30:zz", "option"), UsageError);
}

TEST(SpecParse, SackBlockAndTimestamps) {
    const auto block = parse_sack_block("1000-2448", "sack-block");
    EXPECT_EQ(block.left.raw(), 1000u);
    EXPECT_EQ(block.right.raw(), 2448u);
    EXPECT_THROW((void)parse_sack_block("1000", "sack-block"), UsageError);
    const auto ts = parse_timestamps("123:456", "ts");
    EXPECT_EQ(ts.value, 123u);
    EXPECT_EQ(ts.echo_reply, 456u);
    EXPECT_THROW((void)parse_timestamps("123", "ts"), UsageError);
}

TEST(SpecParse, PortRange) {
    using Range = std::pair<std::uint16_t, std::uint16_t>;
    EXPECT_EQ(parse_port_range("40000-40100", "sport-range"), Range(40000, 40100));
    EXPECT_EQ(parse_port_range("80", "sport-range"), Range(80, 80));
    EXPECT_THROW((void)parse_port_range("100-50", "sport-range"), UsageError);
    EXPECT_THROW((void)parse_port_range("0-50", "sport-range"), UsageError);
    EXPECT_THROW((void)parse_port_range("1-70000", "sport-range"), UsageError);
}

TEST(SpecParse, Ipv4CidrSkipsNetworkAndBroadcast) {
    const auto range = parse_cidr("198.18.1.77/29", "src-range");
    EXPECT_EQ(range.size(), 6u);
    EXPECT_EQ(range.at(0).to_string(), "198.18.1.73");
    EXPECT_EQ(range.at(5).to_string(), "198.18.1.78");
    const auto single = parse_cidr("198.18.1.5", "src-range");
    EXPECT_EQ(single.size(), 1u);
    EXPECT_EQ(single.at(0).to_string(), "198.18.1.5");
    const auto wide = parse_cidr("198.18.0.0/15", "src-range");
    EXPECT_EQ(wide.size(), 65536u);
    EXPECT_EQ(wide.at(300).to_string(), "198.18.1.45");  // 1 + 300 = 0x012d
}

TEST(SpecParse, Ipv6Cidr) {
    const auto range = parse_cidr("fd7c:1:1::/126", "src-range");
    EXPECT_EQ(range.size(), 4u);
    EXPECT_EQ(range.at(0).to_string(), "fd7c:1:1::");
    EXPECT_EQ(range.at(3).to_string(), "fd7c:1:1::3");
    EXPECT_THROW((void)parse_cidr("fd7c::/129", "src-range"), UsageError);
    EXPECT_THROW((void)parse_cidr("not-an-address/24", "src-range"), UsageError);
}

TEST(SpecParse, Endpoint) {
    EXPECT_EQ(parse_endpoint("198.19.1.2:8080", "dst").port, 8080);
    EXPECT_EQ(parse_endpoint("[fd7c:1:2::2]:443", "dst").address.to_string(), "fd7c:1:2::2");
    EXPECT_THROW((void)parse_endpoint("198.19.1.2", "dst"), UsageError);
    EXPECT_THROW((void)parse_endpoint("198.19.1.2:0", "dst"), UsageError);
}

TEST(SpecParse, Rate) {
    EXPECT_EQ(parse_rate("max", "rate"), 0.0);
    EXPECT_EQ(parse_rate("2500.5", "rate"), 2500.5);
    for (const char* bad : {"0", "-3", "10pps", "", "nan"}) {
        EXPECT_THROW((void)parse_rate(bad, "rate"), UsageError) << bad;
    }
}

TEST(SpecParse, CheckedFlagValues) {
    EXPECT_EQ(check_u16(65535, "window"), 65535);
    EXPECT_THROW((void)check_u16(65536, "window"), UsageError);
    EXPECT_EQ(check_port(1, "sport"), 1);
    EXPECT_THROW((void)check_port(0, "sport"), UsageError);
    EXPECT_EQ(check_wscale(14), 14);
    EXPECT_THROW((void)check_wscale(15), UsageError);
    EXPECT_EQ(check_ttl(255), 255);
    EXPECT_THROW((void)check_ttl(0), UsageError);
    EXPECT_THROW((void)check_ttl(256), UsageError);
}

TEST(SpecParse, SegmentDefaults) {
    namespace flag = packet::tcp_flag;
    EXPECT_EQ(default_segment_flags("data", false), flag::kPsh | flag::kAck);
    EXPECT_EQ(default_segment_flags("fin", true), flag::kFin | flag::kAck);
    EXPECT_EQ(default_segment_flags("rst", false), flag::kRst);
    EXPECT_EQ(default_segment_flags("rst", true), flag::kRst | flag::kAck);
    EXPECT_EQ(pattern_payload(3),
              (std::vector<std::uint8_t>{payload_byte(0), payload_byte(1), payload_byte(2)}));
    EXPECT_THROW((void)pattern_payload(65001), UsageError);
}

}  // namespace
}  // namespace tcplab::gen
