// tshark decodes the same frames the same way: for each link-layer framing we parse, the
// addresses, ports and raw sequence number tshark reports equal dissect()'s. One pcapng (merged
// with mergecap, shipped with tshark) keeps it to one tshark start. Without tshark: FAIL.
#include <gtest/gtest.h>

#include "packet/builder.hpp"
#include "packet/dissect.hpp"
#include "test_util.hpp"
#include "tests/support/pcap_file.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"

namespace tcplab::packet {
namespace {

using test::hex;

std::vector<std::uint8_t> ip_packet(bool v6, std::uint16_t sport) {
    IpParams ip;
    ip.src = *IpAddress::parse(v6 ? "fd7c:5:1::2" : "198.18.5.2");
    ip.dst = *IpAddress::parse(v6 ? "fd7c:5:2::2" : "198.19.5.2");
    TcpHeader t;
    t.src_port = sport;
    t.dst_port = 40000;
    t.seq = SeqNum(0x01020304u + sport);
    t.flags = tcp_flag::kSyn;
    t.option_list = linux_syn_options(1460, true, TcpTimestamps{3, 0}, 7);
    return build_tcp_packet(ip, t, {});
}

struct Framing {
    const char* file;
    LinkType type;
    std::vector<std::uint8_t> v4_header;
    std::vector<std::uint8_t> v6_header;
};

TEST(TsharkOracle, EveryLinkTypeDecodesLikeTshark) {
    if (!test_support::have_tool("tshark") || !test_support::have_tool("mergecap"))
        FAIL() << "tshark/mergecap not installed: they are the oracle here (scripts/setup.sh "
                  "installs tshark); failing rather than passing untested";
    const auto mac = hex({"020000000002 020000000001"});
    const std::vector<Framing> framings = {
        {"eth.pcap", LinkType::ethernet, test::concat(mac, hex({"8100 0064 0800"})),
         test::concat(mac, hex({"88a8 00c8 8100 0064 86dd"}))},
        {"sll.pcap", LinkType::linux_sll, hex({"0000 0001 0006 020000000001 0000 0800"}),
         hex({"0004 0001 0006 020000000001 0000 86dd"})},
        {"sll2.pcap", LinkType::linux_sll2, hex({"0800 0000 00000002 0001 00 06 0200000000010000"}),
         hex({"86dd 0000 00000002 0001 04 06 0200000000010000"})},
        {"null.pcap", LinkType::null_loopback, hex({"02000000"}), hex({"1e000000"})},
        {"loop.pcap", LinkType::loop, hex({"00000002"}), hex({"00000018"})},
        {"raw.pcap", LinkType::raw, {}, {}},
    };
    const test_support::ScratchDir dir("packet");
    std::string merge = "mergecap -a -F pcapng -w '" + (dir.path() / "all.pcapng").string() + "'";
    std::vector<std::vector<std::uint8_t>> all_frames;
    std::vector<LinkType> all_types;
    std::uint16_t sport = 20000;
    for (const auto& f : framings) {
        std::vector<std::vector<std::uint8_t>> frames = {
            test::concat(f.v4_header, ip_packet(false, sport)),
            test::concat(f.v6_header, ip_packet(true, sport + 1))};
        sport += 2;
        test_support::write_pcap(dir.path() / f.file, static_cast<int>(f.type), frames);
        merge += " '" + (dir.path() / f.file).string() + "'";
        for (auto& fr : frames) {
            all_frames.push_back(std::move(fr));
            all_types.push_back(f.type);
        }
    }
    ASSERT_EQ(test_support::shell(merge + " 2>/dev/null").exit_code, 0) << merge;
    auto r = test_support::shell("tshark -n -r '" + (dir.path() / "all.pcapng").string() +
                                 "' -T fields -E separator=, -e ip.src -e ipv6.src -e tcp.srcport "
                                 "-e tcp.seq_raw -e tcp.options.mss_val 2>/dev/null");
    ASSERT_EQ(r.exit_code, 0);
    const auto rows = test::lines(r.out);
    ASSERT_EQ(rows.size(), all_frames.size()) << r.out;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto d = dissect(all_types[i], all_frames[i]);
        ASSERT_TRUE(d && d->is_tcp) << "frame " << i + 1;
        const std::string v4 = d->ip_version == 4 ? d->src.to_string() : "";
        const std::string v6 = d->ip_version == 6 ? d->src.to_string() : "";
        const std::string ours = v4 + "," + v6 + "," + std::to_string(d->tcp.src_port) + "," +
                                 std::to_string(d->tcp.seq.raw()) + "," +
                                 std::to_string(*d->tcp.options.mss);
        EXPECT_EQ(ours, rows[i]) << "frame " << i + 1 << " link type "
                                 << static_cast<std::uint32_t>(all_types[i]);
    }
}

}  // namespace
}  // namespace tcplab::packet
