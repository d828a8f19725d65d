// Path diff on small hand-built captures (drop, duplicate, reorder, corrupt are known).
#include "analyzer/path_diff.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "base/errors.hpp"
#include "packet/checksum.hpp"
#include "tests/support/pcap_file.hpp"
#include "tests/support/scratch_dir.hpp"

namespace tcplab::analyzer {
namespace {

// Ethernet + IPv4 (no options) + TCP (no options) + payload, checksums right.
std::vector<std::uint8_t> tcp_frame(std::uint8_t src_host, std::uint8_t dst_host,
                                    std::uint16_t sport, std::uint16_t dport, std::uint32_t seq,
                                    std::uint32_t ack, std::uint8_t flags, std::uint16_t ip_id,
                                    const std::vector<std::uint8_t>& payload) {
    std::vector<std::uint8_t> f(14 + 20 + 20 + payload.size(), 0);
    f[12] = 0x08;
    const std::uint8_t src[4] = {198, 18, 9, src_host};
    const std::uint8_t dst[4] = {198, 19, 9, dst_host};
    std::uint8_t* ip = &f[14];
    ip[0] = 0x45;
    const std::size_t total = 40 + payload.size();
    ip[2] = static_cast<std::uint8_t>(total >> 8);
    ip[3] = static_cast<std::uint8_t>(total);
    ip[4] = static_cast<std::uint8_t>(ip_id >> 8);
    ip[5] = static_cast<std::uint8_t>(ip_id);
    ip[6] = 0x40;
    ip[8] = 64;
    ip[9] = 6;
    std::copy(src, src + 4, ip + 12);
    std::copy(dst, dst + 4, ip + 16);
    const std::uint16_t ipsum = packet::internet_checksum({ip, 20});
    ip[10] = static_cast<std::uint8_t>(ipsum >> 8);
    ip[11] = static_cast<std::uint8_t>(ipsum);
    std::uint8_t* tcp = ip + 20;
    tcp[0] = static_cast<std::uint8_t>(sport >> 8);
    tcp[1] = static_cast<std::uint8_t>(sport);
    tcp[2] = static_cast<std::uint8_t>(dport >> 8);
    tcp[3] = static_cast<std::uint8_t>(dport);
    for (int i = 0; i < 4; ++i) {
        tcp[4 + i] = static_cast<std::uint8_t>(seq >> (24 - 8 * i));
        tcp[8 + i] = static_cast<std::uint8_t>(ack >> (24 - 8 * i));
    }
    tcp[12] = 0x50;
    tcp[13] = flags;
    tcp[14] = 0xff;
    std::copy(payload.begin(), payload.end(), tcp + 20);
    packet::PseudoHeader ph{packet::IpAddress::v4_bytes(src), packet::IpAddress::v4_bytes(dst), 6,
                            static_cast<std::uint32_t>(20 + payload.size())};
    const std::uint16_t sum = packet::transport_checksum(ph, {tcp, 20 + payload.size()});
    tcp[16] = static_cast<std::uint8_t>(sum >> 8);
    tcp[17] = static_cast<std::uint8_t>(sum);
    return f;
}

// Swaps the roles: a frame from the server (198.19.9.x) to the client (198.18.9.x).
std::vector<std::uint8_t> reverse(std::vector<std::uint8_t> f) {
    std::swap_ranges(f.begin() + 26, f.begin() + 30, f.begin() + 30);
    return f;  // IP and TCP checksums do not depend on the order of the addresses
}

struct Timed {
    double t;
    std::vector<std::uint8_t> frame;
};

void write_pcap(const std::filesystem::path& path, const std::vector<Timed>& frames) {
    std::vector<test_support::PcapRecord> records;
    for (const auto& f : frames) {
        records.push_back({std::llround(f.t * 1e9), f.frame});
    }
    test_support::write_pcap(path, test_support::kLinkTypeEthernet, records);
}

TEST(PathDiff, NamesTheDropDuplicateReorderAndCorruption) {
    const test_support::ScratchDir scratch("diff");
    const auto& dir = scratch.path();
    const std::vector<std::uint8_t> data(100, 0x61);
    std::vector<std::vector<std::uint8_t>> p;
    for (std::uint16_t i = 0; i < 5; ++i) {  // five data segments client -> server
        p.push_back(tcp_frame(2, 2, 40000, 80, 1000 + 100u * i, 1, 0x18,
                              static_cast<std::uint16_t>(10 + i), data));
    }
    const auto ack = reverse(tcp_frame(2, 2, 80, 40000, 1, 1500, 0x10, 7, {}));
    auto corrupted = p[4];
    corrupted.back() ^= 0x04;  // one payload bit, checksum left wrong
    write_pcap(dir / "client.pcap",
               {{1.0, p[0]}, {1.1, p[1]}, {1.2, p[2]}, {1.3, p[3]}, {1.4, p[4]}, {1.6, ack}});
    write_pcap(
        dir / "server.pcap",
        {{1.01, p[0]}, {1.21, p[2]}, {1.22, p[1]}, {1.23, p[2]}, {1.41, corrupted}, {1.5, ack}});
    const PathDiff d = diff_captures(dir / "client.pcap", dir / "server.pcap");
    EXPECT_EQ(d.client_addresses, std::vector<std::string>{"198.18.9.2"});
    const DirectionDiff& c2s = d.client_to_server;
    EXPECT_EQ(c2s.sent, 5u);
    EXPECT_EQ(c2s.received, 5u);
    ASSERT_EQ(c2s.dropped, 1u);
    EXPECT_EQ(c2s.drops[0].packet.seq, 1300u);
    EXPECT_EQ(c2s.drops[0].sent_frame, 4u);
    ASSERT_EQ(c2s.duplicated, 1u);
    EXPECT_EQ(c2s.duplicates[0].packet.seq, 1200u);
    ASSERT_EQ(c2s.reordered, 1u);
    EXPECT_EQ(c2s.reorders[0].packet.seq, 1100u);
    ASSERT_EQ(c2s.corrupted, 1u);
    EXPECT_EQ(c2s.corruptions[0].packet.seq, 1400u);
    EXPECT_EQ(c2s.unexpected, 0u);
    ASSERT_TRUE(c2s.delay_min_ms.has_value());
    EXPECT_NEAR(*c2s.delay_min_ms, 10.0, 0.01);
    const DirectionDiff& s2c = d.server_to_client;
    EXPECT_EQ(s2c.sent, 1u);
    EXPECT_EQ(s2c.received, 1u);
    EXPECT_EQ(s2c.dropped + s2c.duplicated + s2c.reordered + s2c.corrupted, 0u);
    const std::string text = render_diff_text(d);
    EXPECT_NE(
        text.find("c2s: sent 5, received 5, dropped 1, duplicated 1, reordered 1, corrupted 1"),
        std::string::npos)
        << text;
    const auto json = render_diff_json(d);
    EXPECT_EQ(json["c2s"]["drops"][0]["seq"], 1300);
    EXPECT_EQ(json["s2c"]["dropped"], 0);
}

// netem's corruption can flip a header bit: the arrival matches no sent packet, and the packet
// it came from matches no arrival. It is one corrupted packet, not a drop plus a stranger.
TEST(PathDiff, AHeaderBitFlippedInTransitIsACorruptionNotADrop) {
    const test_support::ScratchDir scratch("diff-header");
    const auto& dir = scratch.path();
    const std::vector<std::uint8_t> data(100, 0x61);
    const auto first = tcp_frame(2, 2, 40000, 80, 1000, 1, 0x18, 10, data);
    const auto second = tcp_frame(2, 2, 40000, 80, 1100, 1, 0x18, 11, data);
    auto flipped = second;
    flipped[14 + 20 + 4] ^= 0x10;  // a bit of the TCP sequence number
    const auto stranger = tcp_frame(2, 2, 40001, 81, 7, 1, 0x18, 99, data);
    write_pcap(dir / "client.pcap", {{1.0, first}, {1.1, second}});
    write_pcap(dir / "server.pcap", {{1.01, first}, {1.11, flipped}, {1.2, stranger}});
    const DirectionDiff c2s =
        diff_captures(dir / "client.pcap", dir / "server.pcap").client_to_server;
    EXPECT_EQ(c2s.dropped, 0u);
    ASSERT_EQ(c2s.corrupted, 1u);
    EXPECT_EQ(c2s.corruptions[0].packet.seq, 1100u);
    EXPECT_EQ(c2s.corruptions[0].received_frame, 2u);
    ASSERT_EQ(c2s.unexpected, 1u);  // a packet like none sent stays unexpected
    EXPECT_EQ(c2s.unexpected_packets[0].packet.src.port, 40001);
}

TEST(PathDiff, UnreadableCaptureIsAUsageErrorNamingTheFile) {
    try {
        (void)diff_captures("/nonexistent/client.pcap", "/nonexistent/server.pcap");
        FAIL() << "no error";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/client.pcap"), std::string::npos);
    }
}

}  // namespace
}  // namespace tcplab::analyzer
