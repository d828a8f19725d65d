// Packets the generator builds (single segments, flood frames) parse back with packet::dissect
// and are read by tshark, with checksum validation on, without a malformed or bad-checksum mark.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "base/errors.hpp"
#include "generator/detail/flood_frames.hpp"
#include "generator/flood.hpp"
#include "generator/segment.hpp"
#include "packet/builder.hpp"
#include "packet/dissect.hpp"
#include "packet/link.hpp"
#include "tests/support/pcap_file.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"

namespace tcplab::gen {
namespace {

namespace flag = packet::tcp_flag;

std::string capture_output(const std::string& command) { return test_support::shell(command).out; }

SegmentOptions fin_with_data() {
    SegmentOptions o;
    o.src = *packet::IpAddress::parse("198.18.7.1");
    o.sport = 40000;
    o.dst = *packet::Endpoint::parse("198.18.7.2:8080");
    o.seq = 1001;
    o.ack = 5001;
    o.flags = flag::kFin | flag::kAck | flag::kPsh;
    o.window = 502;
    o.payload = {'h', 'e', 'l', 'l', 'o'};
    o.options = {packet::TcpOption::make_nop(), packet::TcpOption::make_nop(),
                 packet::TcpOption::make_timestamps(111, 222),
                 packet::TcpOption::make_sack({{packet::SeqNum(2000), packet::SeqNum(3000)}})};
    return o;
}

TEST(BuildSegment, EveryFieldAsRequested) {
    const auto bytes = build_segment(fin_with_data());
    const auto d = packet::dissect_ip(bytes);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d->is_tcp);
    EXPECT_EQ(d->tcp.src_port, 40000);
    EXPECT_EQ(d->tcp.dst_port, 8080);
    EXPECT_EQ(d->tcp.seq.raw(), 1001u);
    EXPECT_EQ(d->tcp.ack.raw(), 5001u);
    EXPECT_EQ(d->tcp.flags, flag::kFin | flag::kAck | flag::kPsh);
    EXPECT_EQ(d->tcp.window, 502);
    EXPECT_EQ(d->tcp_payload_length, 5u);
    ASSERT_TRUE(d->tcp.options.timestamps.has_value());
    EXPECT_EQ(d->tcp.options.timestamps->value, 111u);
    ASSERT_EQ(d->tcp.options.sack().size(), 1u);
    EXPECT_EQ(d->tcp.options.sack()[0].right.raw(), 3000u);
}

TEST(BuildSegment, MixedFamiliesAreRejected) {
    auto o = fin_with_data();
    o.dst = *packet::Endpoint::parse("[fd7c:7::2]:80");
    EXPECT_THROW((void)build_segment(o), UsageError);
}

FloodOptions syn_flood() {
    FloodOptions o;
    o.kind = FloodKind::syn;
    o.dst = *packet::Endpoint::parse("198.18.7.2:80");
    o.count = 100;
    o.sport_low = 50000;
    o.sport_high = 50003;
    return o;
}

TEST(Flood, AFloodWithoutABoundIsRejected) {
    auto o = syn_flood();
    o.count.reset();
    EXPECT_THROW(validate(o), UsageError);
    o.duration = std::chrono::milliseconds(1000);
    EXPECT_NO_THROW(validate(o));
    o.threads = 0;
    EXPECT_THROW(validate(o), UsageError);
}

TEST(Flood, FramesCycleSourcePortsAndAddresses) {
    auto o = syn_flood();
    o.src_range = parse_cidr("198.18.7.16/30", "src-range");  // .17 and .18
    const std::array<std::uint8_t, 6> src_mac{2, 0, 0, 0, 0, 1};
    const std::array<std::uint8_t, 6> dst_mac{2, 0, 0, 0, 0, 2};
    const auto frames =
        build_flood_frames(o, *packet::IpAddress::parse("198.18.7.1"), src_mac, dst_mac, 0, 8);
    ASSERT_EQ(frames.size(), 8u);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(frames[i].size(), 14u + 20 + 20) << "a bare SYN: 54-byte frame";
        const auto d = packet::dissect(packet::LinkType::ethernet, frames[i]);
        ASSERT_TRUE(d.ok());
        ASSERT_TRUE(d->is_tcp);
        EXPECT_EQ(d->tcp.flags, flag::kSyn);
        EXPECT_EQ(d->tcp.src_port, 50000 + i % 4);
        EXPECT_EQ(d->src.to_string(), i % 2 == 0 ? "198.18.7.17" : "198.18.7.18");
    }
}

TEST(Flood, ThreadsGetDisjointTuples) {
    auto o = syn_flood();
    o.threads = 2;
    o.sport_high = 60000;
    const std::array<std::uint8_t, 6> mac{};
    const auto a = build_flood_frames(o, *packet::IpAddress::parse("198.18.7.1"), mac, mac, 0, 4);
    const auto b = build_flood_frames(o, *packet::IpAddress::parse("198.18.7.1"), mac, mac, 1, 4);
    for (std::size_t i = 0; i < 4; ++i) {
        const auto da = packet::dissect(packet::LinkType::ethernet, a[i]);
        const auto db = packet::dissect(packet::LinkType::ethernet, b[i]);
        EXPECT_NE(da->tcp.src_port, db->tcp.src_port);
    }
}

// The TX ring rewrites a slot in place: frame k written over whatever the slot held before must
// equal frame k built from scratch by the packet builders (every checksum computed in full).
struct InPlaceCase {
    FloodKind kind;
    const char* dst;
    const char* src;        // default source
    const char* src_range;  // empty: none
    std::uint16_t payload;
};

std::vector<std::uint8_t> built_from_scratch(const FloodOptions& o,
                                             const packet::IpAddress& default_src,
                                             const std::array<std::uint8_t, 6>& mac,
                                             std::uint64_t k) {
    packet::IpParams ip;
    ip.src = o.src_range ? o.src_range->at(k % o.src_range->size()) : default_src;
    ip.dst = o.dst.address;
    ip.ttl = o.ttl;
    ip.identification = static_cast<std::uint16_t>(k);
    const auto sport = static_cast<std::uint16_t>(
        o.sport_low + k % (std::uint64_t{o.sport_high} - o.sport_low + 1));
    std::vector<std::uint8_t> l3;
    if (o.kind == FloodKind::udp) {
        packet::UdpHeader udp;
        udp.src_port = sport;
        udp.dst_port = o.dst.port;
        l3 = packet::build_udp_packet(ip, udp, std::vector<std::uint8_t>(o.payload, 0));
    } else {
        packet::TcpHeader tcp;
        tcp.src_port = sport;
        tcp.dst_port = o.dst.port;
        tcp.seq = packet::SeqNum(static_cast<std::uint32_t>(k * 2654435761u));
        tcp.window = 64240;
        tcp.flags = o.kind == FloodKind::syn ? flag::kSyn : flag::kAck;
        if (o.kind == FloodKind::ack) {
            tcp.ack = packet::SeqNum(static_cast<std::uint32_t>(k * 40503u + 1));
        }
        l3 = packet::build_tcp_packet(ip, tcp, {});
    }
    packet::EthernetHeader eth;
    eth.src = mac;
    eth.dst = mac;
    eth.ether_type = ip.src.is_v4() ? packet::kEtherTypeIpv4 : packet::kEtherTypeIpv6;
    std::vector<std::uint8_t> frame;
    packet::write_ethernet(eth, frame);
    frame.insert(frame.end(), l3.begin(), l3.end());
    return frame;
}

class FloodFramesInPlace : public ::testing::TestWithParam<InPlaceCase> {};

TEST_P(FloodFramesInPlace, RewrittenFrameEqualsAFreshBuild) {
    const auto& c = GetParam();
    FloodOptions o;
    o.kind = c.kind;
    o.dst = *packet::Endpoint::parse(c.dst);
    o.count = 1;
    o.payload = c.payload;
    o.sport_low = 1000;
    o.sport_high = 1006;  // 7 ports: k wraps at a different period than the address range
    if (*c.src_range != '\0') {
        o.src_range = parse_cidr(c.src_range, "src-range");
    }
    const auto src = *packet::IpAddress::parse(c.src);
    const std::array<std::uint8_t, 6> mac{2, 0, 0, 0, 0, 9};
    const FloodFrames frames(o, src, mac, mac);
    std::vector<std::uint8_t> slot(frames.bytes().begin(), frames.bytes().end());
    // k beyond 2^16 (IP id wraps), beyond 2^32 (seq multiplier wraps), and consecutive ks so each
    // write lands on the previous frame's bytes, as in a reused ring slot.
    for (const std::uint64_t base :
         {std::uint64_t{0}, std::uint64_t{65530}, std::uint64_t{1} << 33}) {
        for (std::uint64_t k = base; k < base + 40; ++k) {
            frames.write(k, slot.data());
            ASSERT_EQ(slot, built_from_scratch(o, src, mac, k)) << "frame " << k;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    KindsAndFamilies, FloodFramesInPlace,
    ::testing::Values(
        InPlaceCase{FloodKind::syn, "198.18.7.2:80", "198.18.7.1", "", 0},
        InPlaceCase{FloodKind::syn, "198.18.7.2:80", "198.18.7.1", "198.18.0.0/15", 0},
        InPlaceCase{FloodKind::ack, "198.18.7.2:443", "198.18.7.1", "198.18.7.16/29", 0},
        InPlaceCase{FloodKind::udp, "198.18.7.2:9", "198.18.7.1", "198.18.7.16/30", 17},
        InPlaceCase{FloodKind::udp, "198.18.7.2:9", "198.18.7.1", "", 0},
        InPlaceCase{FloodKind::syn, "[fd7c:7::2]:80", "fd7c:7::1", "fd7c:7::100/120", 0},
        InPlaceCase{FloodKind::ack, "[fd7c:7::2]:80", "fd7c:7::1", "", 0},
        InPlaceCase{FloodKind::udp, "[fd7c:7::2]:9", "fd7c:7::1", "fd7c:7:1::/112", 33}));

// tshark as the oracle: no malformed packet, every checksum verified good.
void expect_tshark_clean(const std::string& pcap, std::size_t frames, bool ipv4) {
    const std::string base = "tshark -n -r " + pcap +
                             " -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
                             "-o udp.check_checksum:TRUE ";
    EXPECT_EQ(
        capture_output(base + "-Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null"),
        "");
    const auto statuses = capture_output(base +
                                         "-T fields -e ip.checksum.status -e tcp.checksum.status "
                                         "-e udp.checksum.status 2>/dev/null");
    std::istringstream lines(statuses);
    std::string line;
    std::size_t n = 0;
    while (std::getline(lines, line)) {
        ++n;
        // "1" is good (0 bad, 2 unverified). IPv6 has no header checksum: its field is empty.
        EXPECT_EQ(line, ipv4 ? "1\t1\t" : "\t1\t") << "frame " << n << " of " << pcap;
    }
    EXPECT_EQ(n, frames);
}

TEST(Tshark, CraftedSegmentsAndFloodFramesAreClean) {
    if (!test_support::have_tool("tshark")) {
        GTEST_SKIP() << "tshark not installed";
    }
    const test_support::ScratchDir scratch("gen-unit");
    const auto& dir = scratch.path();
    // Raw IP: a FIN with data and options, an IPv6 RST, a SYN with a raw unknown option.
    auto v6 = fin_with_data();
    v6.src = *packet::IpAddress::parse("fd7c:7::1");
    v6.dst = *packet::Endpoint::parse("[fd7c:7::2]:8080");
    v6.flags = flag::kRst;
    v6.payload.clear();
    auto syn = fin_with_data();
    syn.flags = flag::kSyn;
    syn.payload.clear();
    syn.options = {packet::TcpOption::make_mss(1200),
                   packet::TcpOption::make_raw(253, {0xca, 0xfe})};
    test_support::write_pcap(dir / "v4.pcap", test_support::kLinkTypeRaw,
                             {build_segment(fin_with_data()), build_segment(syn)});
    test_support::write_pcap(dir / "v6.pcap", test_support::kLinkTypeRaw, {build_segment(v6)});
    expect_tshark_clean((dir / "v4.pcap").string(), 2, true);
    expect_tshark_clean((dir / "v6.pcap").string(), 1, false);
    // The raw option shows up as kind 253 with its data; MSS as requested.
    const auto opts = capture_output("tshark -n -r " + (dir / "v4.pcap").string() +
                                     " -Y 'tcp.flags.syn==1' -T fields -e tcp.options.mss_val "
                                     "-e tcp.option_kind 2>/dev/null");
    EXPECT_EQ(opts.substr(0, opts.find('\t')), "1200");
    EXPECT_NE(opts.find("253"), std::string::npos) << opts;
    // Flood frames (Ethernet), SYN over IPv4 and UDP over IPv6, as the TX ring writes them
    // (build_flood_frames goes through FloodFrames::write, the ring's per-slot rewrite).
    auto o = syn_flood();
    const std::array<std::uint8_t, 6> mac{2, 0, 0, 0, 0, 1};
    test_support::write_pcap(
        dir / "flood4.pcap", test_support::kLinkTypeEthernet,
        build_flood_frames(o, *packet::IpAddress::parse("198.18.7.1"), mac, mac, 0, 16));
    o.kind = FloodKind::udp;
    o.payload = 18;
    o.dst = *packet::Endpoint::parse("[fd7c:7::2]:9");
    test_support::write_pcap(
        dir / "flood6.pcap", test_support::kLinkTypeEthernet,
        build_flood_frames(o, *packet::IpAddress::parse("fd7c:7::1"), mac, mac, 0, 16));
    expect_tshark_clean((dir / "flood4.pcap").string(), 16, true);
    const auto udp =
        capture_output("tshark -n -r " + (dir / "flood6.pcap").string() +
                       " -o udp.check_checksum:TRUE -T fields -e udp.checksum.status 2>/dev/null");
    EXPECT_EQ(std::count(udp.begin(), udp.end(), '1'), 16) << udp;
}

}  // namespace
}  // namespace tcplab::gen
