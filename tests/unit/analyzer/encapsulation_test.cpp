// TCP inside the encapsulations tshark decodes: each case wraps one small conversation (with a
// retransmission, a lost segment and duplicate ACKs) in its tunnel, writes it as an Ethernet
// capture next to a plain TCP conversation, and compares `analyze --frames --format tsv` with
// tshark frame by frame (stream numbers included). Without tshark the rows are still checked
// against what the conversation must give.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "analyzer_test_util.hpp"

namespace tcplab::analyzer::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

Bytes be16(std::uint16_t v) {
    return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}
Bytes be32(std::uint32_t v) {
    return be16(static_cast<std::uint16_t>(v >> 16)) + be16(static_cast<std::uint16_t>(v));
}

// Ethernet II: destination, source (by side, so each direction has its own MACs), type.
Bytes ethernet(int side, std::uint16_t type) {
    const std::uint8_t me = static_cast<std::uint8_t>(side + 1);
    const std::uint8_t peer = static_cast<std::uint8_t>(2 - side);
    return Bytes{0x02, 0, 0, 0, 0, peer, 0x02, 0, 0, 0, 0, me} + be16(type);
}
Bytes tag(std::uint16_t tpid, std::uint16_t vid) { return be16(tpid) + be16(vid); }
std::uint16_t ether_type_of(const Bytes& ip) { return (ip[0] >> 4) == 4 ? 0x0800 : 0x86DD; }

// The outer packet between the two tunnel end points (side 0 sends from the first).
Bytes outer_ip(int side, bool v6, std::uint8_t protocol, const Bytes& payload) {
    const char* ends[2][2] = {{"198.18.1.1", "198.18.1.2"}, {"fd7c::1", "fd7c::2"}};
    packet::IpParams ip;
    ip.src = *packet::IpAddress::parse(ends[v6][side]);
    ip.dst = *packet::IpAddress::parse(ends[v6][1 - side]);
    return packet::build_ip_packet(ip, protocol, payload);
}
Bytes outer_udp(int side, std::uint16_t port, const Bytes& payload) {
    packet::IpParams ip;
    ip.src = *packet::IpAddress::parse(side == 0 ? "198.18.1.1" : "198.18.1.2");
    ip.dst = *packet::IpAddress::parse(side == 0 ? "198.18.1.2" : "198.18.1.1");
    packet::UdpHeader udp;
    udp.src_port = static_cast<std::uint16_t>(50000 + side);  // an ephemeral source port
    udp.dst_port = port;
    return packet::build_udp_packet(ip, udp, payload);
}
Bytes inner_ethernet(int side, const Bytes& ip) { return ethernet(side, ether_type_of(ip)) + ip; }

Bytes gre(std::uint16_t flags, std::uint16_t protocol) {
    Bytes h = be16(flags) + be16(protocol);
    if ((flags & 0x8000) != 0) h = h + be16(0) + be16(0);  // checksum (not verified) + reserved
    if ((flags & 0x2000) != 0) h = h + be32(0xC0FFEE);     // key
    if ((flags & 0x1000) != 0) h = h + be32(7);            // sequence number
    return h;
}

// The IPv6 packet with extension headers inserted after its fixed header: hop-by-hop, routing
// (type 0 without addresses: tshark finds an empty type 4 malformed), destination options, and with
// `fragment` an atomic fragment header (offset 0, no more fragments: RFC 6946) last.
Bytes with_extension_headers(const Bytes& ip, bool fragment) {
    const std::uint8_t upper = ip[6];
    const Bytes pad_n = {0x01, 0x04, 0, 0, 0, 0};  // PadN filling an 8-byte header
    Bytes ext = Bytes{43, 0} + pad_n;              // hop-by-hop -> routing
    ext = ext + Bytes{60, 0, 0, 0, 0, 0, 0, 0};    // routing -> destination options
    ext = ext + Bytes{static_cast<std::uint8_t>(fragment ? 44 : upper), 0} + pad_n;
    if (fragment) ext = ext + Bytes{upper, 0, 0, 0} + be32(0x12345678);
    Bytes out(ip.begin(), ip.begin() + 40);
    out[6] = 0;  // next header: hop-by-hop
    const auto payload = static_cast<std::uint16_t>(((ip[4] << 8) | ip[5]) + ext.size());
    out[4] = static_cast<std::uint8_t>(payload >> 8);
    out[5] = static_cast<std::uint8_t>(payload);
    return out + ext + Bytes(ip.begin() + 40, ip.end());
}

// GTP-U version 1, G-PDU, no optional fields.
Bytes gtp_u(int side, const Bytes& ip) {
    const Bytes gtp =
        Bytes{0x30, 0xFF} + be16(static_cast<std::uint16_t>(ip.size())) + be32(0x11223344);
    return ethernet(side, 0x0800) + outer_udp(side, 2152, gtp + ip);
}

struct Case {
    const char* name;
    bool inner_v6;
    std::function<Bytes(int side, const Bytes& ip)>
        wrap;  // the inner IP packet -> an Ethernet frame
};

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"vlan", false,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x8100) + be16(100) + be16(0x0800) + ip;
         }},
        {"qinq", false,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x88A8) + be16(10) + tag(0x8100, 20) + be16(0x0800) + ip;
         }},
        {"mpls", false,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x8847) + be32(0x00010040) + be32(0x00020140) + ip;  // 2 labels
         }},
        {"mpls_ipv6", true,
         [](int s, const Bytes& ip) { return ethernet(s, 0x8848) + be32(0x00030140) + ip; }},
        {"pppoe", false,
         [](int s, const Bytes& ip) {
             const auto len = static_cast<std::uint16_t>(ip.size() + 2);
             return ethernet(s, 0x8864) + Bytes{0x11, 0x00} + be16(0x1234) + be16(len) +
                    be16(0x0021) + ip;
         }},
        {"pppoe_qinq_ipv6", true,
         [](int s, const Bytes& ip) {
             const auto len = static_cast<std::uint16_t>(ip.size() + 2);
             return ethernet(s, 0x88A8) + be16(10) + tag(0x8100, 20) + be16(0x8864) +
                    Bytes{0x11, 0x00} + be16(0x1234) + be16(len) + be16(0x0057) + ip;
         }},
        {"ipv6_extension_headers", true,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x86DD) + with_extension_headers(ip, false);
         }},
        {"ipv6_atomic_fragment", true,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x86DD) + with_extension_headers(ip, true);
         }},
        {"ipip", false,
         [](int s, const Bytes& ip) { return ethernet(s, 0x0800) + outer_ip(s, false, 4, ip); }},
        {"6in4", true,
         [](int s, const Bytes& ip) { return ethernet(s, 0x0800) + outer_ip(s, false, 41, ip); }},
        {"4in6", false,
         [](int s, const Bytes& ip) { return ethernet(s, 0x86DD) + outer_ip(s, true, 4, ip); }},
        {"gre", false,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x0800) + outer_ip(s, false, 47, gre(0, 0x0800) + ip);
         }},
        {"gre_checksum_key_sequence_ipv6", true,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x0800) + outer_ip(s, false, 47, gre(0xB000, 0x86DD) + ip);
         }},
        {"gre_ethernet", false,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x0800) +
                    outer_ip(s, false, 47, gre(0x2000, 0x6558) + inner_ethernet(s, ip));
         }},
        {"erspan_type1", false,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x0800) +
                    outer_ip(s, false, 47, gre(0, 0x88BE) + inner_ethernet(s, ip));
         }},
        {"erspan_type2", false,
         [](int s, const Bytes& ip) {
             const Bytes erspan = be32(0x10640005) + be32(0x00000000);  // ver 1, vlan 100, id 5
             return ethernet(s, 0x0800) +
                    outer_ip(s, false, 47, gre(0x1000, 0x88BE) + erspan + inner_ethernet(s, ip));
         }},
        {"erspan_type3_platform", false,
         [](int s, const Bytes& ip) {
             // ver 2, session 5, timestamp, then SGT/P/FT/HwID/D/Gra/O with O set, and the
             // 8-byte platform-specific subheader.
             const Bytes erspan = be32(0x20640005) + be32(0x01020304) + be32(0x00000001) +
                                  be32(0x08000000) + be32(0x00000000);
             return ethernet(s, 0x0800) +
                    outer_ip(s, false, 47, gre(0x1000, 0x22EB) + erspan + inner_ethernet(s, ip));
         }},
        {"erspan_type3", true,
         [](int s, const Bytes& ip) {
             const Bytes erspan = be32(0x20640005) + be32(0x01020304) + be32(0x00000000);
             return ethernet(s, 0x0800) +
                    outer_ip(s, false, 47, gre(0x1000, 0x22EB) + erspan + inner_ethernet(s, ip));
         }},
        {"vxlan", false,
         [](int s, const Bytes& ip) {
             return ethernet(s, 0x0800) +
                    outer_udp(s, 4789,
                              Bytes{0x08, 0, 0, 0} + be32(0x00002A00) + inner_ethernet(s, ip));
         }},
        {"vxlan_vlan_ipv6", true,
         [](int s, const Bytes& ip) {
             const Bytes inner = ethernet(s, 0x8100) + be16(7) + be16(0x86DD) + ip;
             return ethernet(s, 0x0800) +
                    outer_udp(s, 4789, Bytes{0x08, 0, 0, 0} + be32(0x00002A00) + inner);
         }},
        {"geneve_options_ethernet", false,
         [](int s, const Bytes& ip) {
             // version 0, 2 words of options, C flag; one option: class 0, type 0x80, 4 bytes.
             const Bytes geneve = Bytes{0x02, 0x40} + be16(0x6558) + be32(0x00000A00) +
                                  be16(0x0000) + Bytes{0x80, 0x01} + be32(0x0000000C);
             return ethernet(s, 0x0800) + outer_udp(s, 6081, geneve + inner_ethernet(s, ip));
         }},
        {"geneve_ipv6", true,
         [](int s, const Bytes& ip) {
             const Bytes geneve = Bytes{0x00, 0x00} + be16(0x86DD) + be32(0x00000B00);
             return ethernet(s, 0x0800) + outer_udp(s, 6081, geneve + ip);
         }},
        {"gtp_u", false, gtp_u},
        {"gtp_u_sequence_extension", false,
         [](int s, const Bytes& ip) {
             // E and S flags: sequence, N-PDU, next type 0x85 (PDU session container, 1 word).
             const Bytes ext = Bytes{0x01, 0x00, 0x09, 0x00};
             const Bytes gtp = Bytes{0x36, 0xFF} +
                               be16(static_cast<std::uint16_t>(4 + ext.size() + ip.size())) +
                               be32(0x11223344) + be16(1) + Bytes{0x00, 0x85} + ext;
             return ethernet(s, 0x0800) + outer_udp(s, 2152, gtp + ip);
         }},
        {"gtp_u_ipv6", true, gtp_u},
        {"teredo", true,
         [](int s, const Bytes& ip) { return ethernet(s, 0x0800) + outer_udp(s, 3544, ip); }},
        {"teredo_origin", true,
         [](int s, const Bytes& ip) {
             const Bytes origin = be16(0) + be16(0x1234 ^ 0xFFFF) + be32(0xC612010A ^ 0xFFFFFFFF);
             return ethernet(s, 0x0800) + outer_udp(s, 3544, origin + ip);
         }},
        {"teredo_auth_origin", true,
         [](int s, const Bytes& ip) {
             // indicator 1, id length 2, auth length 0, id, nonce, confirmation byte.
             const Bytes auth = be16(1) + Bytes{2, 0, 0xAB, 0xCD} + be32(1) + be32(2) + Bytes{0};
             const Bytes origin = be16(0) + be16(0xEDCB) + be32(0x39EDFEF5);
             return ethernet(s, 0x0800) + outer_udp(s, 3544, auth + origin + ip);
         }},
    };
    return all;
}

// The inner conversation: handshake, data with a segment lost and retransmitted 300 ms later
// (duplicate ACKs meanwhile), then FINs.
Script conversation(bool v6) {
    Script s;
    if (v6) s.addresses("fd7c:1::2", "fd7c:2::2");
    s.handshake(0, 1.0)
        .a(2, kPshAck, 1, 1, 100)
        .a(3, kPshAck, 201, 1, 100)  // 101..200 is never captured: a lost segment
        .b(3.5, kAck, 1, 101)
        .b(3.6, kAck, 1, 101)  // duplicate ACK
        .a(300, kPshAck, 101, 1, 100)
        .b(301, kAck, 1, 301)
        .a(302, kFinAck, 301, 1)
        .b(303, kFinAck, 1, 302)
        .a(304, kAck, 302, 2);
    return s;
}

// A plain Ethernet/IPv4 conversation between other hosts, interleaved with the tunnelled one.
Script plain_conversation() {
    Script s(7000, 9000, 40100);
    s.addresses("198.18.9.1", "198.18.9.2").handshake(1.5, 1.0).a(5, kPshAck, 1, 1, 10);
    return s;
}

std::vector<Frame> capture_of(const Case& c) {
    const Script inner = conversation(c.inner_v6);
    std::vector<Frame> frames;
    for (std::size_t i = 0; i < inner.frames().size(); ++i) {
        const Frame& f = inner.frames()[i];
        frames.push_back({f.time_ns, c.wrap(inner.sides()[i], f.bytes)});
    }
    const Script plain = plain_conversation();
    for (std::size_t i = 0; i < plain.frames().size(); ++i) {
        const Frame& f = plain.frames()[i];
        frames.push_back({f.time_ns, inner_ethernet(plain.sides()[i], f.bytes)});
    }
    std::stable_sort(frames.begin(), frames.end(),
                     [](const Frame& a, const Frame& b) { return a.time_ns < b.time_ns; });
    return frames;
}

// Writes frames as the Ethernet capture `pcap`, returns what `analyze --frames --format tsv`
// says of it, and checks that against tshark's rows where tshark is installed (it must then run).
std::vector<Row> rows_checked_by_tshark(const std::filesystem::path& pcap,
                                        const std::vector<Frame>& frames) {
    test_support::write_pcap(pcap, test_support::kLinkTypeEthernet, frames);
    AnalyzeOptions o;
    o.format = Format::tsv;
    o.frames = true;
    auto rows = parse_tsv(analyse_file_output(pcap, o));
    if (auto oracle = tshark_rows(pcap)) {
        EXPECT_EQ(*oracle, rows) << "tshark disagrees:\n" << describe_diff(*oracle, rows);
    } else if (test_support::have_tool("tshark")) {
        ADD_FAILURE() << "tshark failed on " << pcap;
    }
    return rows;
}

class Encapsulation : public ::testing::TestWithParam<Case> {};

TEST_P(Encapsulation, InnerTcpAgreesWithTshark) {
    const test_support::ScratchDir scratch("analyzer-encap");
    const auto pcap = scratch.path() / (std::string(GetParam().name) + ".pcap");
    const auto frames = capture_of(GetParam());
    const auto rows = rows_checked_by_tshark(pcap, frames);
    // What the conversation must give, tshark or not: every frame is TCP, in two streams.
    ASSERT_EQ(rows.size(), frames.size());
    std::size_t retransmissions = 0;
    std::size_t inner_frames = 0;
    for (const Row& r : rows) {
        retransmissions += r.flags == "retransmission";
        inner_frames += r.stream == "0";
    }
    EXPECT_EQ(retransmissions, 1u);
    EXPECT_EQ(inner_frames, conversation(GetParam().inner_v6).frames().size());

    AnalyzeOptions o;
    o.format = Format::json;
    const auto report = nlohmann::json::parse(analyse_file_output(pcap, o));
    const auto& observations = report.at("summary").at("observations");
    for (const char* error : {"truncated", "bad_version", "bad_header_length", "unsupported"})
        EXPECT_EQ(observations.at(error), 0) << error;
    // Link-level encapsulations and IPv6 extension headers put no IP header around the TCP's.
    const std::string name = GetParam().name;
    const bool ip_tunnel = name.rfind("vlan", 0) != 0 && name.rfind("qinq", 0) != 0 &&
                           name.rfind("mpls", 0) != 0 && name.rfind("pppoe", 0) != 0 &&
                           name.rfind("ipv6_", 0) != 0;
    EXPECT_EQ(observations.at("tcp_in_tunnels"), ip_tunnel ? inner_frames : 0u);
}

// Runs the engine over frames of an Ethernet capture and returns what it observed.
Observations observe(const std::vector<Frame>& frames) {
    RowSink sink;
    Engine engine(packet::LinkType::ethernet, true, sink);
    std::uint64_t n = 0;
    for (const auto& f : frames) engine.process({++n, f.time_ns, f.bytes});
    engine.finish();
    return engine.observations();
}

std::uint64_t parse_errors(const Observations& o) {
    std::uint64_t sum = 0;
    for (const auto count : o.parse_errors) sum += count;
    return sum;
}

// Every frame lands in exactly one bucket (no frame here is an IP fragment).
std::uint64_t accounted(const Observations& o) {
    return o.tcp_frames + o.not_ip + o.not_tcp + parse_errors(o);
}

// A tunnel header cut anywhere, or with any byte of its first 100 overwritten, is an
// observation: a parse error, a frame that is not TCP, or a TCP frame; never a crash or a read
// past the frame (the sanitizer builds run this too).
TEST_P(Encapsulation, CutOrCorruptHeadersAreCountedNeverFatal) {
    const Script inner = conversation(GetParam().inner_v6);
    const Bytes syn = GetParam().wrap(0, inner.frames().front().bytes);
    std::vector<Frame> cut;
    for (std::size_t length = 0; length < syn.size(); ++length)
        cut.push_back({Script::kEpoch, Bytes(syn.begin(), syn.begin() + length)});
    const Observations o = observe(cut);
    EXPECT_EQ(accounted(o), cut.size());
    EXPECT_GT(o.parse_errors[static_cast<std::size_t>(packet::ErrorCode::truncated)], 0u);

    std::vector<Frame> corrupt;
    for (std::size_t at = 0; at < std::min<std::size_t>(syn.size(), 100); ++at) {
        for (const std::uint8_t value : {0x00, 0x01, 0x45, 0x60, 0x88, 0xFF}) {
            Bytes bytes = syn;
            bytes[at] = value;
            corrupt.push_back({Script::kEpoch, bytes});
        }
    }
    // A corrupted IP flags field makes a fragment, which no counter but fragments_skipped (for
    // TCP) takes: at most one bucket per frame.
    EXPECT_LE(accounted(observe(corrupt)), corrupt.size());
}

INSTANTIATE_TEST_SUITE_P(Tunnels, Encapsulation, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// One conversation captured twice, bare and inside GRE (a mirror port and the tunnel both in
// one file): tshark keys the stream on the inner addresses and ports alone, so both copies are
// one stream and each second copy is a re-send.
TEST(EncapsulationStreams, BareAndTunnelledCopiesShareAStream) {
    const Case& gre = *std::find_if(cases().begin(), cases().end(),
                                    [](const Case& c) { return std::string(c.name) == "gre"; });
    const Script inner = conversation(false);
    std::vector<Frame> frames;
    for (std::size_t i = 0; i < inner.frames().size(); ++i) {
        const Frame& f = inner.frames()[i];
        frames.push_back({f.time_ns, inner_ethernet(inner.sides()[i], f.bytes)});
        frames.push_back({f.time_ns + 20'000, gre.wrap(inner.sides()[i], f.bytes)});
    }
    const test_support::ScratchDir scratch("analyzer-encap-copies");
    const auto rows = rows_checked_by_tshark(scratch.path() / "copies.pcap", frames);
    ASSERT_EQ(rows.size(), frames.size());
    for (const Row& r : rows) EXPECT_EQ(r.stream, "0") << r.frame;
}

// A first IPv6 fragment (offset 0, more to come) whose other fragments were not captured:
// tshark waits for them to reassemble and shows no TCP, and we skip it; the atomic fragment
// beside it is whole, and both show its TCP.
TEST(EncapsulationFragments, LoneFirstFragmentIsSkippedAtomicOneIsNot) {
    const Script inner = conversation(true);
    Bytes first = with_extension_headers(inner.frames()[0].bytes, true);
    first[40 + 24 + 3] = 0x01;  // the fragment header's M flag
    const std::vector<Frame> frames = {
        {Script::kEpoch, ethernet(0, 0x86DD) + first},
        {Script::kEpoch + 1'000'000,
         ethernet(0, 0x86DD) + with_extension_headers(inner.frames()[0].bytes, true)}};
    const Observations o = observe(frames);
    EXPECT_EQ(o.fragments_skipped, 1u);
    EXPECT_EQ(o.tcp_frames, 1u);

    const test_support::ScratchDir scratch("analyzer-encap-fragments");
    const auto rows = rows_checked_by_tshark(scratch.path() / "fragments.pcap", frames);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].frame, 2u);
}

// IP-in-IP `depth` times around one SYN.
Bytes nested_ip_in_ip(const Bytes& ip, int depth) {
    Bytes packet = ip;
    for (int i = 0; i < depth; ++i) packet = outer_ip(0, false, 4, packet);
    return ethernet(0, 0x0800) + packet;
}

// A tunnel inside a tunnel is followed as deep as tshark goes in practice; a frame nested past
// the decode limit is counted as unsupported (tshark also gives up on it, at 500 layers).
TEST(EncapsulationDepth, DeepNestingIsFollowedAndTooDeepIsCounted) {
    const Script inner = conversation(false);
    const Bytes syn = inner.frames().front().bytes;
    const std::vector<Frame> frames = {{Script::kEpoch, nested_ip_in_ip(syn, 100)},
                                       {Script::kEpoch + 1000, nested_ip_in_ip(syn, 2000)}};
    const Observations o = observe(frames);
    EXPECT_EQ(o.tcp_frames, 1u);
    EXPECT_EQ(o.parse_errors[static_cast<std::size_t>(packet::ErrorCode::unsupported)], 1u);
    EXPECT_EQ(o.first_error_frame, 2u);

    const test_support::ScratchDir scratch("analyzer-encap-depth");
    const auto rows = rows_checked_by_tshark(scratch.path() / "deep.pcap", frames);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].frame, 1u);
}

// The shape of tcpdump's tests/geneve.pcap (an SSH session between 30.0.0.2 and 30.0.0.1 in
// Geneve between 20.0.0.2 and 20.0.0.1, one direction with VNI 0xb and no options, the other
// with VNI 0xa, the critical flag and one 4-byte option; pings in the same tunnel; no UDP
// checksums), rebuilt from its -vv output with one server segment re-sent.
TEST(EncapsulationGeneve, TcpdumpGeneveCaptureAgreesWithTshark) {
    Script ssh(397610159, 2910871522u);
    ssh.addresses("30.0.0.2", "30.0.0.1").ports(51225, 22);
    const auto syn_options = [] {
        return std::vector<packet::TcpOption>{
            packet::TcpOption::make_mss(1460), packet::TcpOption::make_sack_permitted(),
            packet::TcpOption::make_nop(), packet::TcpOption::make_window_scale(7)};
    };
    ssh.seg(0, 999.279, tf::kSyn, 0, 0, 0, 14600, syn_options())
        .seg(1, 999.327, tf::kSyn | kAck, 0, 1, 0, 28960, syn_options())
        .a(999.513, kAck, 1, 1, 0, 115)
        .b(1006.164, kPshAck, 1, 1, 39, 227)
        .a(1006.357, kAck, 1, 40, 0, 115)
        .a(1006.387, kPshAck, 1, 40, 21, 115)
        .b(1006.457, kAck, 40, 22, 0, 227)
        .a(1006.523, kPshAck, 22, 40, 792, 115)
        .b(1006.560, kAck, 40, 814, 0, 239)
        .b(1007.148, kPshAck, 40, 814, 984, 239)
        .a(1007.397, kPshAck, 814, 1024, 24, 130)
        .b(1009.381, kPshAck, 1024, 838, 152, 239)
        .a(1010.470, kPshAck, 838, 1176, 144, 145)
        .b(1014.495, kPshAck, 1176, 982, 720, 251)
        .a(1015.904, kPshAck, 982, 1896, 16, 161)
        .b(1053.136, kAck, 1896, 998, 0, 251)
        .a(1053.378, kPshAck, 998, 1896, 48, 161)
        .b(1053.418, kAck, 1896, 1046, 0, 251)
        .b(1053.523, kPshAck, 1896, 1046, 48, 251)
        .a(1053.708, kPshAck, 1046, 1944, 64, 161)
        .b(1054.967, kPshAck, 1944, 1110, 64, 251)
        .b(1090.000, kPshAck, 1944, 1110, 64, 251)  // re-sent before the ACK below
        .a(1094.717, kAck, 1110, 2008, 0, 161);

    const auto geneve_frame = [](int side, const Bytes& ip) {
        // Side 0 (20.0.0.2) sends VNI 0xb without options; side 1 (20.0.0.1) VNI 0xa with C.
        const Bytes geneve = side == 0 ? Bytes{0x00, 0x00} + be16(0x6558) + be32(0x00000B00)
                                       : Bytes{0x02, 0x40} + be16(0x6558) + be32(0x00000A00) +
                                             be16(0x0000) + Bytes{0x80, 0x01} + be32(0x0000000C);
        packet::IpParams outer;
        outer.src = *packet::IpAddress::parse(side == 0 ? "20.0.0.2" : "20.0.0.1");
        outer.dst = *packet::IpAddress::parse(side == 0 ? "20.0.0.1" : "20.0.0.2");
        const Bytes inner = geneve + inner_ethernet(side, ip);
        const auto udp_length = static_cast<std::uint16_t>(8 + inner.size());
        const Bytes udp = be16(side == 0 ? 43443 : 22540) + be16(6081) + be16(udp_length) +
                          be16(0) + inner;  // checksum 0: none, as in tcpdump's capture
        return ethernet(side, 0x0800) + packet::build_ip_packet(outer, packet::kIpProtoUdp, udp);
    };
    std::vector<Frame> frames;
    const auto ping = [&](double t_ms, int side) {
        packet::IpParams ip;
        ip.src = *packet::IpAddress::parse(side == 0 ? "30.0.0.2" : "30.0.0.1");
        ip.dst = *packet::IpAddress::parse(side == 0 ? "30.0.0.1" : "30.0.0.2");
        const Bytes icmp = Bytes{static_cast<std::uint8_t>(side == 0 ? 0 : 8), 0, 0, 0} +
                           be16(10578) + be16(23) + Bytes(56, 0x61);
        frames.push_back({Script::kEpoch + static_cast<std::int64_t>(t_ms * 1e6),
                          geneve_frame(side, packet::build_ip_packet(ip, 1, icmp))});
    };
    ping(817.203, 1);
    ping(817.454, 0);
    for (std::size_t i = 0; i < ssh.frames().size(); ++i)
        frames.push_back(
            {ssh.frames()[i].time_ns, geneve_frame(ssh.sides()[i], ssh.frames()[i].bytes)});
    ping(1817.272, 1);
    ping(1817.457, 0);

    const test_support::ScratchDir scratch("analyzer-geneve");
    const auto rows = rows_checked_by_tshark(scratch.path() / "geneve.pcap", frames);
    ASSERT_EQ(rows.size(), ssh.frames().size());
    EXPECT_EQ(rows.front().frame, 3u);
    EXPECT_EQ(rows[21].flags, "retransmission");
}

}  // namespace
}  // namespace tcplab::analyzer::test
