// Flag and option formatting, table-driven (TEST_P). Expected strings are what tshark 4.0
// prints for the same bits (tcp.flags tree text and the info column); tshark_oracle_test.cpp
// re-checks whole info lines against a live tshark.
#include <gtest/gtest.h>

#include "packet/format.hpp"
#include "packet/tcp.hpp"
#include "test_util.hpp"

namespace tcplab::packet {
namespace {

struct FlagCase {
    std::uint16_t bit;
    const char* name;
};

class SingleFlag : public ::testing::TestWithParam<FlagCase> {};

TEST_P(SingleFlag, NameHexAndParseOfEachOfTheNineFlags) {
    const auto& c = GetParam();
    EXPECT_EQ(flag_names(c.bit), c.name);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%03x", c.bit);
    EXPECT_EQ(flags_hex(c.bit), std::string(hex) + " (" + c.name + ")");
    // The bit survives the wire: data offset 5 with the flag in byte 12's low nibble / byte 13.
    auto b = test::hex({"03e8 0050 00000001 00000002 5000 ffff 0000 0000"});
    b[12] = static_cast<std::uint8_t>(0x50 | (c.bit >> 8));
    b[13] = static_cast<std::uint8_t>(c.bit);
    auto t = parse_tcp(b);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->flags, c.bit);
    EXPECT_TRUE(t->has(c.bit));
}

INSTANTIATE_TEST_SUITE_P(
    AllNine, SingleFlag,
    ::testing::Values(FlagCase{tcp_flag::kFin, "FIN"}, FlagCase{tcp_flag::kSyn, "SYN"},
                      FlagCase{tcp_flag::kRst, "RST"}, FlagCase{tcp_flag::kPsh, "PSH"},
                      FlagCase{tcp_flag::kAck, "ACK"}, FlagCase{tcp_flag::kUrg, "URG"},
                      FlagCase{tcp_flag::kEce, "ECE"}, FlagCase{tcp_flag::kCwr, "CWR"},
                      FlagCase{tcp_flag::kAe, "AE"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(FlagFormat, CombinationsAsWiresharkShowsThem) {
    using namespace tcp_flag;
    EXPECT_EQ(flags_hex(kSyn), "0x002 (SYN)");
    EXPECT_EQ(flags_hex(kSyn | kAck), "0x012 (SYN, ACK)");
    EXPECT_EQ(flags_hex(kAck), "0x010 (ACK)");
    EXPECT_EQ(flag_names(kFin | kAck), "FIN, ACK");
    EXPECT_EQ(flag_names(kPsh | kAck), "PSH, ACK");
    EXPECT_EQ(flag_names(kRst | kAck), "RST, ACK");
    EXPECT_EQ(flag_names(kSyn | kEce | kCwr), "SYN, ECE, CWR");
    EXPECT_EQ(flags_hex(0), "0x000 (<None>)");
    EXPECT_EQ(flags_hex(0x0E12), "0xe12 (SYN, ACK, Reserved)");
}

struct OptionCase {
    const char* name;
    std::vector<TcpOption> options;
    const char* wire_hex;  // as encode_tcp_options must write it (EOL-padded)
    const char* summary;   // as Wireshark's info column shows it
};

class OptionMatrix : public ::testing::TestWithParam<OptionCase> {};

TEST_P(OptionMatrix, EncodeParseAndSummarise) {
    const auto& c = GetParam();
    const auto wire = encode_tcp_options(c.options);
    EXPECT_EQ(wire, test::hex({c.wire_hex}));
    EXPECT_EQ(wire.size() % 4, 0u);
    auto parsed = parse_tcp_options(wire);
    ASSERT_TRUE(parsed) << parsed.error().what;
    EXPECT_EQ(options_summary(*parsed), c.summary);
}

INSTANTIATE_TEST_SUITE_P(
    Table, OptionMatrix,
    ::testing::Values(
        // tcpdump: options [mss 1440,sackOK,TS val 1 ecr 0,nop,wscale 7]
        OptionCase{"LinuxSyn", linux_syn_options(1440, true, TcpTimestamps{1, 0}, 7),
                   "020405a0 0402 080a 00000001 00000000 01 030307",
                   "MSS=1440 SACK_PERM TSval=1 TSecr=0 WS=128"},
        // tcpdump: options [mss 1460,nop,wscale 0] -- WS=1 is still shown
        OptionCase{"MssWs0", linux_syn_options(1460, false, std::nullopt, 0), "020405b4 01 030300",
                   "MSS=1460 WS=1"},
        // tcpdump: options [nop,nop,TS val 100 ecr 200]
        OptionCase{
            "AckTs",
            {TcpOption::make_nop(), TcpOption::make_nop(), TcpOption::make_timestamps(100, 200)},
            "0101 080a 00000064 000000c8",
            "TSval=100 TSecr=200"},
        // tcpdump: options [nop,nop,sack 2 {1000:2000}{3000:4000}]
        OptionCase{
            "TwoSackBlocks",
            {TcpOption::make_nop(), TcpOption::make_nop(),
             TcpOption::make_sack({{SeqNum(1000), SeqNum(2000)}, {SeqNum(3000), SeqNum(4000)}})},
            "0101 0512 000003e8 000007d0 00000bb8 00000fa0",
            "SLE=1000 SRE=2000 SLE=3000 SRE=4000"},
        // tcpdump: options [wscale 15] -- shift capped at 14 (RFC 7323), padded with EOL
        OptionCase{
            "ShiftAboveFourteen", {TcpOption::make_window_scale(15)}, "03030f00", "WS=16384"},
        // tcpdump: options [mptcp ...] -- unknown kinds show nothing in the info column
        OptionCase{"UnknownKindIsSilent", {TcpOption::make_raw(30, {0xAB, 0xCD})}, "1e04abcd", ""},
        OptionCase{"Empty", {}, "", ""}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(InfoLine, SynSynAckAndFlagsDependentFields) {
    TcpHeader syn;
    syn.src_port = 35258;
    syn.dst_port = 80;
    syn.flags = tcp_flag::kSyn;
    syn.options.mss = 1440;
    syn.options.sack_permitted = true;
    syn.options.timestamps = TcpTimestamps{1, 0};
    syn.options.window_scale = 7;
    EXPECT_EQ(
        info_line(syn, {0, 0, 0, 64800}),
        "35258 \u2192 80 [SYN] Seq=0 Win=64800 Len=0 MSS=1440 SACK_PERM TSval=1 TSecr=0 WS=128");
    TcpHeader ack;
    ack.src_port = 80;
    ack.dst_port = 35258;
    ack.flags = tcp_flag::kAck | tcp_flag::kUrg;
    ack.urgent_pointer = 5;
    EXPECT_EQ(info_line(ack, {1, 1, 10, 502}),
              "80 \u2192 35258 [ACK, URG] Seq=1 Ack=1 Win=502 Urg=5 Len=10");
    ack.flags = tcp_flag::kFin;
    EXPECT_EQ(info_line(ack, {7, 9, 0, 502}),
              "80 \u2192 35258 [FIN] Seq=7 Win=502 Len=0");  // no Ack= without ACK
}

}  // namespace
}  // namespace tcplab::packet
