// Floods are bounded and rate-controlled, counted at the receiver's interface; and the CLI maps
// a missing capability to exit 3 with the documented message.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "gen_fixture.hpp"
#include "generator/flood.hpp"

namespace tcplab::gen {
namespace {

using namespace testing;  // NOLINT: the fixtures

class FloodNetns : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "needs root (network namespaces, AF_PACKET)";
        }
        pair_ = std::make_unique<NetnsPair>();
        ASSERT_EQ(pair_->error(), "");
    }
    FloodResult flood(const FloodOptions& o) {
        FloodResult result;
        tcplab::run_in_netns(pair_->a(), [&] { result = run_flood(o); });
        return result;
    }
    std::unique_ptr<NetnsPair> pair_;
};

// Both send paths: the TX ring (default) and the sendmmsg fallback.
class FloodBothPaths : public FloodNetns, public ::testing::WithParamInterface<FloodTx> {};

TEST_P(FloodBothPaths, CountBoundAndRateAreHonoured) {
    FloodOptions o;
    o.kind = FloodKind::syn;
    o.dst = *packet::Endpoint::parse(pair_->v4(2) + ":80");
    o.count = 3000;
    o.rate = 10000;  // 0.3 s
    o.tx = GetParam();
    const auto before = pair_->rx_packets_b();
    const auto result = flood(o);
    const auto received = pair_->rx_packets_b() - before;
    EXPECT_EQ(result.tx, GetParam());
    EXPECT_EQ(result.packets + result.errors, 3000u);
    EXPECT_EQ(result.errors, 0u);
    EXPECT_GE(received, 3000u);  // every frame arrived (plus address resolution)
    EXPECT_LE(received, 3000u + 10);
    EXPECT_NEAR(result.elapsed.count(), 0.3, 0.05) << "10000 pps for 3000 packets";
    EXPECT_EQ(result.frame_size, 54u);
}

TEST_P(FloodBothPaths, MaxRateStopsExactlyAtTheCount) {
    FloodOptions o;
    o.kind = FloodKind::ack;
    o.dst = *packet::Endpoint::parse(pair_->v4(2) + ":80");
    o.count = 20011;  // not a multiple of the batch, the ring or the thread count
    o.threads = 2;
    o.tx = GetParam();
    const auto before = pair_->rx_packets_b();
    const auto result = flood(o);
    const auto received = pair_->rx_packets_b() - before;
    EXPECT_EQ(result.tx, GetParam());
    EXPECT_EQ(result.packets + result.errors, 20011u);
    EXPECT_GE(received, result.packets);
    EXPECT_LE(received, 20011u + 10);
}

TEST_P(FloodBothPaths, DurationBoundsAMaxRateFlood) {
    FloodOptions o;
    o.kind = FloodKind::syn;
    o.dst = *packet::Endpoint::parse(pair_->v4(2) + ":80");
    o.duration = std::chrono::milliseconds(400);
    o.tx = GetParam();
    const auto result = flood(o);
    EXPECT_EQ(result.tx, GetParam());
    EXPECT_GT(result.packets, 0u);
    // Ends at the deadline, plus at most the drain of what the kernel still held.
    EXPECT_GE(result.elapsed.count(), 0.4);
    EXPECT_LT(result.elapsed.count(), 0.6);
}

INSTANTIATE_TEST_SUITE_P(TxPaths, FloodBothPaths,
                         ::testing::Values(FloodTx::ring, FloodTx::sendmmsg),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// What the ring actually put on the wire, captured at the receiver: tshark (checksum validation
// on) finds every frame well-formed with good IP and TCP checksums, and the requested variation.
TEST_F(FloodNetns, RingFramesOnTheWireAreClean) {
    if (!have_tool("tshark")) {
        GTEST_SKIP() << "tshark not installed";
    }
    const ScratchDir scratch("gen-ring-wire");
    const auto pcap = scratch.path() / "b.pcap";
    FloodOptions o;
    o.kind = FloodKind::syn;
    o.dst = *packet::Endpoint::parse(pair_->v4(2) + ":80");
    o.src_range = parse_cidr(pair_->v4(0) + "/28", "src-range");  // .1 .. .14
    o.sport_low = 40000;
    o.sport_high = 40099;
    o.count = 500;
    o.rate = 20000;
    o.tx = FloodTx::ring;
    FloodResult result;
    {
        ScopedCapture capture(pair_->b(), pair_->if_b(), pcap);
        result = flood(o);
    }
    EXPECT_EQ(result.tx, FloodTx::ring);
    EXPECT_EQ(result.packets, 500u);
    const auto bad =
        tshark_fields(pcap, {"frame.number"}, "_ws.malformed || _ws.expert.severity >= error");
    EXPECT_TRUE(bad.empty()) << bad.size() << " bad frames, first: " << bad.front();
    const auto rows =
        tshark_fields(pcap, {"ip.checksum.status", "tcp.checksum.status", "ip.src", "tcp.srcport"},
                      "tcp.flags.syn == 1 && tcp.dstport == 80");
    ASSERT_EQ(rows.size(), 500u);
    std::set<std::string> sources;
    std::set<std::string> ports;
    for (const auto& row : rows) {
        std::istringstream fields(row);
        std::string ip_status, tcp_status, src, sport;
        std::getline(fields, ip_status, '\t');
        std::getline(fields, tcp_status, '\t');
        std::getline(fields, src, '\t');
        std::getline(fields, sport, '\t');
        EXPECT_EQ(ip_status, "1") << row;  // 1 = good
        EXPECT_EQ(tcp_status, "1") << row;
        sources.insert(src);
        ports.insert(sport);
    }
    EXPECT_EQ(sources.size(), 14u);
    EXPECT_EQ(ports.size(), 100u);
}

TEST_F(FloodNetns, DurationBoundOverIpv6WithThreads) {
    FloodOptions o;
    o.kind = FloodKind::udp;
    o.payload = 32;
    o.dst = *packet::Endpoint::parse("[" + pair_->v6(2) + "]:9");
    o.duration = std::chrono::milliseconds(500);
    o.rate = 4000;
    o.threads = 2;
    const auto before = pair_->rx_packets_b();
    const auto result = flood(o);
    const auto received = pair_->rx_packets_b() - before;
    EXPECT_NEAR(result.elapsed.count(), 0.5, 0.05);
    EXPECT_NEAR(static_cast<double>(result.packets), 2000.0, 100.0);
    EXPECT_GE(received, result.packets);
}

int run_cli(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(GenCli, WithoutCapNetRawExitsThreeWithTheReason) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to drop to an unprivileged user";
    }
    const std::string out = "/tmp/tcplab_gen_cli_" + std::to_string(::getpid());
    // setpriv drops to nobody with no capabilities at all.
    const int code =
        run_cli("setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all " +
                std::string(TCPLAB_BINARY) + " gen syn --src 127.0.0.1 --dst 127.0.0.1:9 2>" + out);
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    std::filesystem::remove(out);
    EXPECT_EQ(code, 3) << text.str();
    EXPECT_NE(text.str().find("needs root or CAP_NET_RAW"), std::string::npos) << text.str();
}

TEST(GenCli, UnboundedFloodAndBadFlagsAreUsageErrors) {
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) + " gen flood --dst 127.0.0.1:9 2>/dev/null"), 2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) +
                      " gen syn --src 127.0.0.1 --dst 127.0.0.1 2>/dev/null"),
              2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) +
                      " gen handshake --src 127.0.0.1 --dst [::1]:9 2>/dev/null"),
              2);
    EXPECT_EQ(
        run_cli(std::string(TCPLAB_BINARY) + " gen fin --src 127.0.0.1 --sport 1 --dst 127.0.0.1:9 "
                                             "--seq 1 --flags SYN,BOGUS 2>/dev/null"),
        2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) + " gen bogus 2>/dev/null"), 2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) +
                      " gen flood --dst 127.0.0.1:9 --count 1 --tx bogus 2>/dev/null"),
              2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) + " gen syn --help >/dev/null"), 0);
}

}  // namespace
}  // namespace tcplab::gen
