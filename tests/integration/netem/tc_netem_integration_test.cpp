// The tc backend with the kernel's real sch_netem. Where the kernel has no sch_netem (this
// development host) every test is skipped with detect_netem()'s reason; inside the UML guest
// (`tcplab vm run`) or on a CI runner with netem they run as a plain gtest binary: root + tc +
// netem, nothing else.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmath>
#include <thread>

#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "netem/impair/netem_support.hpp"
#include "netem/impair/tc_backend.hpp"
#include "netem/lab/topology.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/root.hpp"
#include "tests/support/traffic.hpp"

using namespace tcplab::netem;
using namespace tcplab::test_support;

namespace {

class TcNetem : public ::testing::Test {
protected:
    void SetUp() override {
        if (!is_root()) GTEST_SKIP() << "needs root (creates network namespaces)";
        static const NetemSupport support = detect_netem();
        if (!support.available) GTEST_SKIP() << support.reason;
        features_ = support.features;
    }
    TcFeatures features_;
};

// Sends `count` UDP datagrams client -> server and returns how many arrived (bounded: 20 s).
int udp_delivered(const Topology& topo, int count) {
    int received = 0;
    std::thread server([&] {
        tcplab::run_in_netns(topo.namespace_name(Role::server), [&] {
            tcplab::UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(6000);
            ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
            int rcvbuf = 8 << 20;
            ::setsockopt(s.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            while (received < count && std::chrono::steady_clock::now() < deadline) {
                pollfd pfd{s.get(), POLLIN, 0};
                if (::poll(&pfd, 1, 1500) <= 0) break;  // 1.5 s of silence: the rest was lost
                char buf[64];
                if (::recv(s.get(), buf, sizeof buf, 0) > 0) ++received;
            }
        });
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    tcplab::run_in_netns(topo.namespace_name(Role::client), [&] {
        tcplab::UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(6000);
        ::inet_pton(AF_INET, topo.server_ipv4().c_str(), &to.sin_addr);
        for (int i = 0; i < count; ++i) {
            ::sendto(s.get(), &i, sizeof i, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
            // Paced so no queue but netem ever overflows (a slow UML guest drops bursts in the
            // veth backlog, which netem would not count).
            if (i % 10 == 9) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    });
    server.join();
    return received;
}

}  // namespace

TEST_F(TcNetem, LossZeroDropsNothingAndCountersSeeEveryPacket) {
    auto topo = Topology::up();
    TcBackend tc(topo.run_id(), Impairment{}, features_);
    tc.apply();
    EXPECT_EQ(udp_delivered(topo, 500), 500);
    const auto stats = tc.read_stats();
    EXPECT_TRUE(stats.client_to_server.netem.present);
    EXPECT_GE(stats.client_to_server.netem.sent_packets, 500U);
    EXPECT_EQ(stats.client_to_server.netem.drops, 0U);
    EXPECT_EQ(stats.client_to_server.queue_drops, 0U);
}

TEST_F(TcNetem, Loss30PercentWithinTheBinomialInterval) {
    auto topo = Topology::up();
    Impairment imp;
    imp.client_to_server.loss_percent = 30;
    TcBackend tc(topo.run_id(), imp, features_);
    // Resolve every neighbour first: netem impairs ARP too, and datagrams queued behind a lost
    // ARP request are dropped by the neighbour layer, not by netem (seen in the UML guest).
    ASSERT_TRUE(ping_once(topo.namespace_name(Role::client), topo.server_ipv4(), 1).has_value());
    tc.apply();
    constexpr int kSent = 2000;
    const int lost = kSent - udp_delivered(topo, kSent);
    // 99.9% two-sided interval of Binomial(2000, 0.3): 600 +- 3.29 * sqrt(2000 * 0.3 * 0.7).
    const double half = 3.29 * std::sqrt(kSent * 0.3 * 0.7);
    EXPECT_GE(lost, static_cast<int>(600 - half));
    EXPECT_LE(lost, static_cast<int>(600 + half));
    const auto stats = tc.read_stats();
    // netem's own counter accounts for every lost datagram; it may count a few more, because
    // the neighbour traffic (ARP) crossing the same qdisc is subject to the same loss.
    EXPECT_GE(stats.client_to_server.injected_loss, static_cast<std::uint64_t>(lost))
        << "netem's own drop counter must account for every lost datagram";
    EXPECT_LE(stats.client_to_server.injected_loss, static_cast<std::uint64_t>(lost) + 5);
}

TEST_F(TcNetem, Delay50MsEachWayGivesAPingRttNear100Ms) {
    auto topo = Topology::up();
    Impairment imp;
    imp.client_to_server.delay_ms = 50;
    imp.server_to_client.delay_ms = 50;
    TcBackend tc(topo.run_id(), imp, features_);
    // Resolve the neighbours before timing: an ARP exchange through the delayed path adds a
    // full extra round trip to the first ping.
    ASSERT_TRUE(ping_once(topo.namespace_name(Role::client), topo.server_ipv4(), 1).has_value());
    tc.apply();
    for (std::uint16_t seq = 2; seq <= 4; ++seq) {
        const auto reply = ping_once(topo.namespace_name(Role::client), topo.server_ipv4(), seq);
        ASSERT_TRUE(reply.has_value());
        EXPECT_GE(reply->rtt_ms, 100.0);
        EXPECT_LT(reply->rtt_ms, 130.0);
    }
}

TEST_F(TcNetem, QdiscIsInstalledWithTheComputedLimitAndSeedWhenSupported) {
    auto topo = Topology::up();
    Impairment imp;
    imp.server_to_client.delay_ms = 20;
    imp.server_to_client.loss_percent = 1;
    imp.seed = 77;
    TcBackend tc(topo.run_id(), imp, features_);
    tc.apply();
    const auto stats = tc.read_stats();
    EXPECT_EQ(stats.server_to_client.netem.limit, netem_limit_for(imp.server_to_client));
    if (features_.netem_seed) {
        EXPECT_EQ(stats.server_to_client.netem.seed, std::optional<std::uint64_t>(77));
    }
}

TEST(NetemSupport, DetectionAnswersAndLeavesNoScratchNamespace) {
    if (!is_root()) GTEST_SKIP() << "needs root (probes in a scratch namespace)";
    const auto support = detect_netem();
    if (!support.available) {
        EXPECT_NE(support.reason.find("sch_netem"), std::string::npos) << support.reason;
    }
    const auto list = command_output({"ip", "netns", "list"});
    EXPECT_EQ(list.find("netemprobe"), std::string::npos) << list;
    std::cout << "netem available: " << (support.available ? "yes" : "no (" + support.reason + ")")
              << ", seed: " << (support.features.netem_seed ? "yes" : "no") << "\n";
}
