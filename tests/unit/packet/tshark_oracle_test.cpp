// tshark as the oracle: packets we build are written to a pcap (LINKTYPE_RAW) and tshark, with
// checksum validation on, must call every IP/TCP/UDP checksum Good (and a deliberately broken
// one Bad); its info column must equal our info_line(). Without tshark these tests FAIL.
#include <gtest/gtest.h>

#include "packet/builder.hpp"
#include "packet/dissect.hpp"
#include "packet/format.hpp"
#include "test_util.hpp"
#include "tests/support/pcap_file.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"

namespace tcplab::packet {
namespace {

TcpHeader segment(std::uint16_t sport, std::uint16_t flags, std::vector<TcpOption> options) {
    TcpHeader t;
    t.src_port = sport;
    t.dst_port = 40000;
    t.seq = SeqNum(0xFFFFFF00);  // near the wrap on purpose
    t.ack = SeqNum(12345);
    t.flags = flags;
    t.window = 64800;
    t.option_list = std::move(options);
    return t;
}

// One packet per interesting shape: v4/v6, options, odd payload length, UDP.
std::vector<std::vector<std::uint8_t>> sample_packets(bool bad_tcp_checksum) {
    using namespace tcp_flag;
    const auto v4 = test::ip_params("198.18.1.2", "198.19.1.2", 0x4242);
    const auto v6 = test::ip_params("fd7c:1:1::2", "fd7c:1:2::2", 0x4242);
    const std::vector<std::uint8_t> odd(1001, 0xA5);
    const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o', '\n'};
    std::vector<std::vector<std::uint8_t>> out;
    out.push_back(build_tcp_packet(
        v4, segment(35258, kSyn, linux_syn_options(1440, true, TcpTimestamps{1, 0}, 7)), {},
        bad_tcp_checksum));
    out.push_back(build_tcp_packet(
        v6, segment(35259, kSyn | kAck, linux_syn_options(1420, true, TcpTimestamps{7, 1}, 10)), {},
        bad_tcp_checksum));
    out.push_back(build_tcp_packet(v4, segment(35260, kPsh | kAck, {}), odd, bad_tcp_checksum));
    out.push_back(build_tcp_packet(v6, segment(35261, kPsh | kAck, {}), text, bad_tcp_checksum));
    out.push_back(build_tcp_packet(
        v4,
        segment(35262, kFin | kAck,
                {TcpOption::make_nop(), TcpOption::make_nop(), TcpOption::make_timestamps(9, 8)}),
        {}, bad_tcp_checksum));
    out.push_back(build_tcp_packet(v6,
                                   segment(35263, kAck,
                                           {TcpOption::make_nop(), TcpOption::make_nop(),
                                            TcpOption::make_sack({{SeqNum(100), SeqNum(200)}})}),
                                   odd, bad_tcp_checksum));
    return out;
}

std::string require_tshark() {
    if (!test_support::have_tool("tshark"))
        return "tshark is not installed: it is the oracle for these tests (scripts/setup.sh "
               "installs it); failing rather than passing untested";
    return "";
}

std::vector<std::string> tshark_fields(const std::filesystem::path& pcap, const std::string& args) {
    auto r = test_support::shell("tshark -n -r '" + pcap.string() + "' " + args + " 2>/dev/null");
    EXPECT_EQ(r.exit_code, 0) << "tshark failed on " << pcap;
    return test::lines(r.out);
}

const char* kChecksumArgs =
    "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "
    "-T fields -E separator=, -e ip.checksum.status -e tcp.checksum.status -e udp.checksum.status";

// tshark prints the status as its number (1 Good, 0 Bad) or, in some versions, its name.
// Fields are comma-separated: ip,tcp,udp (empty where the layer is absent).
bool is_good(const std::string& s) { return s == "1" || s == "Good"; }
bool is_bad(const std::string& s) { return s == "0" || s == "Bad"; }

TEST(TsharkOracle, BuiltChecksumsAreGood) {
    const auto missing = require_tshark();
    if (!missing.empty()) FAIL() << missing;
    const test_support::ScratchDir dir("packet");
    auto packets = sample_packets(false);
    UdpHeader u;
    u.src_port = 5353;
    u.dst_port = 40001;
    packets.push_back(build_udp_packet(test::ip_params("198.18.1.2", "198.19.1.2", 0x4242), u,
                                       std::vector<std::uint8_t>(77, 1)));
    packets.push_back(build_udp_packet(test::ip_params("fd7c:1:1::2", "fd7c:1:2::2", 0x4242), u,
                                       std::vector<std::uint8_t>(4, 0)));
    const auto pcap = dir.path() / "good.pcap";
    test_support::write_pcap(pcap, test_support::kLinkTypeRaw, packets);
    const auto rows = tshark_fields(pcap, kChecksumArgs);
    ASSERT_EQ(rows.size(), packets.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i + 1) + ": " + rows[i]);
        const auto ip_end = rows[i].find(',');
        const auto tcp_end = rows[i].find(',', ip_end + 1);
        const std::string ip = rows[i].substr(0, ip_end);
        const std::string tcp = rows[i].substr(ip_end + 1, tcp_end - ip_end - 1);
        const std::string udp = rows[i].substr(tcp_end + 1);
        const bool v4 = (packets[i][0] >> 4) == 4;
        if (v4)
            EXPECT_TRUE(is_good(ip));
        else
            EXPECT_EQ(ip, "");  // IPv6 has no header checksum
        if (i < 6)
            EXPECT_TRUE(is_good(tcp));
        else
            EXPECT_TRUE(is_good(udp));
    }
}

TEST(TsharkOracle, DeliberatelyBadTcpChecksumIsBad) {
    const auto missing = require_tshark();
    if (!missing.empty()) FAIL() << missing;
    const test_support::ScratchDir dir("packet");
    const auto packets = sample_packets(true);
    const auto pcap = dir.path() / "bad.pcap";
    test_support::write_pcap(pcap, test_support::kLinkTypeRaw, packets);
    const auto rows = tshark_fields(pcap, kChecksumArgs);
    ASSERT_EQ(rows.size(), packets.size());
    for (const auto& row : rows) {
        SCOPED_TRACE(row);
        const auto ip_end = row.find(',');
        const auto tcp_end = row.find(',', ip_end + 1);
        EXPECT_TRUE(is_bad(row.substr(ip_end + 1, tcp_end - ip_end - 1)));
    }
}

TEST(TsharkOracle, InfoLineMatchesTsharkInfoColumn) {
    const auto missing = require_tshark();
    if (!missing.empty()) FAIL() << missing;
    const test_support::ScratchDir dir("packet");
    auto packets = sample_packets(false);
    using namespace tcp_flag;
    packets.push_back(build_tcp_packet(test::ip_params("198.18.1.2", "198.19.1.2", 0x4242),
                                       segment(35264, kRst, {}), {}));
    packets.push_back(build_tcp_packet(
        test::ip_params("198.18.1.2", "198.19.1.2", 0x4242),
        segment(35265, kSyn | kEce | kCwr, linux_syn_options(1460, false, std::nullopt, 0)), {}));
    const auto pcap = dir.path() / "info.pcap";
    test_support::write_pcap(pcap, test_support::kLinkTypeRaw, packets);
    // Raw numbers, no analysis: what we print is then purely a function of the header.
    const auto rows = tshark_fields(
        pcap,
        "-o tcp.analyze_sequence_numbers:FALSE -o tcp.relative_sequence_numbers:FALSE "
        "-T fields -e _ws.col.Info");
    ASSERT_EQ(rows.size(), packets.size());
    for (std::size_t i = 0; i < packets.size(); ++i) {
        auto d = dissect_ip(packets[i]);
        ASSERT_TRUE(d && d->is_tcp);
        const InfoLine shown{d->tcp.seq.raw(), d->tcp.ack.raw(), d->tcp_payload_length,
                             d->tcp.window};
        EXPECT_EQ(info_line(d->tcp, shown), rows[i]) << "frame " << i + 1;
    }
}

}  // namespace
}  // namespace tcplab::packet
