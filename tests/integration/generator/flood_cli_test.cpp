// Floods are bounded and rate-controlled, counted at the receiver's interface; and the CLI maps
// a missing capability to exit 3 with the documented message.
#include <gtest/gtest.h>

#include <sys/wait.h>

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
        netem::run_in_netns(pair_->a(), [&] { result = run_flood(o); });
        return result;
    }
    std::unique_ptr<NetnsPair> pair_;
};

TEST_F(FloodNetns, CountBoundAndRateAreHonoured) {
    FloodOptions o;
    o.kind = FloodKind::syn;
    o.dst = *packet::Endpoint::parse(pair_->v4(2) + ":80");
    o.count = 3000;
    o.rate = 10000;  // 0.3 s
    const auto before = pair_->rx_packets_b();
    const auto result = flood(o);
    const auto received = pair_->rx_packets_b() - before;
    EXPECT_EQ(result.packets + result.errors, 3000u);
    EXPECT_EQ(result.errors, 0u);
    EXPECT_GE(received, 3000u);       // every frame arrived (plus address resolution)
    EXPECT_LE(received, 3000u + 10);
    EXPECT_NEAR(result.elapsed.count(), 0.3, 0.05) << "10000 pps for 3000 packets";
    EXPECT_EQ(result.frame_size, 54u);
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
    const int code = run_cli("setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all " +
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
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) + " gen syn --src 127.0.0.1 --dst 127.0.0.1 2>/dev/null"), 2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) + " gen handshake --src 127.0.0.1 --dst [::1]:9 2>/dev/null"), 2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) + " gen fin --src 127.0.0.1 --sport 1 --dst 127.0.0.1:9 "
                                                   "--seq 1 --flags SYN,BOGUS 2>/dev/null"), 2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) + " gen bogus 2>/dev/null"), 2);
    EXPECT_EQ(run_cli(std::string(TCPLAB_BINARY) + " gen syn --help >/dev/null"), 0);
}

}  // namespace
}  // namespace tcplab::gen
