// The userspace forwarder between real namespaces, against the kernel's own UDP and TCP:
// what arrives at the far side is what the model and the ledger say.
#include "netem/forwarder/forwarder.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <future>
#include <map>

#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "netem/impair/ledger.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/socket_address.hpp"
#include "tests/support/traffic.hpp"

namespace tcplab::netem {
namespace {

using namespace test_support;

ForwarderConfig config_for(const ForwarderLab& topo, const Impairment& imp,
                           const std::filesystem::path& ledger) {
    ForwarderConfig c;
    c.router_netns = topo.router_ns();
    c.client_interface = "veth-rc";
    c.server_interface = "veth-rs";
    c.impairment = imp;
    c.ledger_path = ledger;
    return c;
}

std::size_t count_action(const std::vector<LedgerEntry>& ledger, const std::string& action,
                         Direction dir) {
    return static_cast<std::size_t>(
        std::count_if(ledger.begin(), ledger.end(),
                      [&](const LedgerEntry& e) { return e.action == action && e.dir == dir; }));
}

TEST(ForwarderIntegration, NoImpairmentForwardsEverything) {
    TCPLAB_REQUIRE_ROOT();
    ForwarderLab topo;
    const ScratchDir scratch("fwd-loss0");
    const auto& dir = scratch.path();
    Forwarder fwd(config_for(topo, Impairment{}, dir / "ledger.jsonl"));
    fwd.start();
    std::promise<void> ready;
    auto received = udp_receiver(topo.server_ns(), topo.server_ip(), 9000, ready);
    ready.get_future().wait();
    udp_send(topo.client_ns(), topo.server_ip(), 9000, 2000);
    const auto got = received.get();
    const BulkResult bulk =
        tcp_bulk(topo.client_ns(), topo.server_ns(), topo.server_ip(), 5001, 2 << 20);
    const ForwarderStats stats = fwd.stop();
    EXPECT_EQ(got.size(), 2000u);
    EXPECT_EQ(bulk.bytes, 2u << 20);
    EXPECT_EQ(stats.client_to_server.dropped, 0u);
    EXPECT_EQ(stats.client_to_server.queue_drops, 0u);
    EXPECT_EQ(stats.server_to_client.dropped, 0u);
    EXPECT_GE(stats.client_to_server.forwarded, 2000u);
    EXPECT_TRUE(read_ledger(dir / "ledger.jsonl").empty());
}

TEST(ForwarderIntegration, Loss30PercentWithinBinomialBoundsAtTheFarSide) {
    TCPLAB_REQUIRE_ROOT();
    ForwarderLab topo;
    const ScratchDir scratch("fwd-loss30");
    const auto& dir = scratch.path();
    Impairment imp;
    imp.client_to_server.loss_percent = 30;
    imp.seed = 2026;
    Forwarder fwd(config_for(topo, imp, dir / "ledger.jsonl"));
    fwd.start();
    std::promise<void> ready;
    auto received = udp_receiver(topo.server_ns(), topo.server_ip(), 9000, ready);
    ready.get_future().wait();
    const std::uint32_t n = 3000;
    udp_send(topo.client_ns(), topo.server_ip(), 9000, n);
    const auto got = received.get();
    const ForwarderStats stats = fwd.stop();
    const double expected = n * 0.7;
    const double half_width = 3.2905 * std::sqrt(n * 0.3 * 0.7);  // binomial, 99.9% two-sided
    EXPECT_NEAR(static_cast<double>(got.size()), expected, half_width);
    // The far side is missing exactly what the forwarder says it dropped.
    EXPECT_EQ(got.size() + stats.client_to_server.dropped, n);
    const auto ledger = read_ledger(dir / "ledger.jsonl");
    EXPECT_EQ(count_action(ledger, "drop", Direction::client_to_server), n - got.size());
    for (const auto& e : ledger) {
        EXPECT_EQ(e.reason, "random loss 30%");
        EXPECT_EQ(e.packet.protocol, packet::kIpProtoUdp);
    }
}

TEST(ForwarderIntegration, SameSeedDropsTheSameDatagrams) {
    TCPLAB_REQUIRE_ROOT();
    std::vector<std::vector<std::uint32_t>> runs;
    for (int i = 0; i < 2; ++i) {
        ForwarderLab topo;
        Impairment imp;
        imp.client_to_server.loss_percent = 20;
        imp.seed = 77;
        Forwarder fwd(config_for(topo, imp, {}));
        fwd.start();
        std::promise<void> ready;
        auto received = udp_receiver(topo.server_ns(), topo.server_ip(), 9000, ready);
        ready.get_future().wait();
        // Different pacing in each run: decisions must not depend on timing.
        udp_send(topo.client_ns(), topo.server_ip(), 9000, 500, 200,
                 std::chrono::microseconds(i == 0 ? 100 : 700));
        auto got = received.get();
        std::sort(got.begin(), got.end());
        runs.push_back(got);
        (void)fwd.stop();
    }
    EXPECT_EQ(runs[0], runs[1]);
    EXPECT_LT(runs[0].size(), 500u);
}

// Round trip of small UDP datagrams echoed by the server: 50 ms each way -> ~100 ms.
TEST(ForwarderIntegration, Delay50msEachWayGivesRtt100ms) {
    TCPLAB_REQUIRE_ROOT();
    ForwarderLab topo;
    Impairment imp;
    imp.client_to_server.delay_ms = 50;
    imp.server_to_client.delay_ms = 50;
    Forwarder fwd(config_for(topo, imp, {}));
    fwd.start();
    std::atomic<bool> done{false};
    std::promise<void> ready;
    auto echo = std::async(std::launch::async, [&] {
        tcplab::ScopedNetns inside(topo.server_ns());
        UniqueFd fd(::socket(AF_INET, SOCK_DGRAM, 0));
        const SocketAddress a = make_socket_address(topo.server_ip(), 7);
        ::bind(fd.get(), a.get(), a.length);
        set_timeout(fd.get(), 0.2);
        ready.set_value();
        char buf[256];
        while (!done) {
            sockaddr_in from{};
            socklen_t len = sizeof from;
            const ssize_t n =
                ::recvfrom(fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n > 0) {
                ::sendto(fd.get(), buf, static_cast<size_t>(n), 0,
                         reinterpret_cast<sockaddr*>(&from), len);
            }
        }
    });
    ready.get_future().wait();
    std::vector<double> rtts;
    tcplab::run_in_netns(topo.client_ns(), [&] {
        UniqueFd fd(::socket(AF_INET, SOCK_DGRAM, 0));
        set_timeout(fd.get(), 2);
        const SocketAddress a = make_socket_address(topo.server_ip(), 7);
        ::connect(fd.get(), a.get(), a.length);
        for (int i = 0; i < 20; ++i) {
            char buf[64] = "ping";
            const auto t0 = Clock::now();
            ::send(fd.get(), buf, sizeof buf, 0);
            if (::recv(fd.get(), buf, sizeof buf, 0) > 0) {
                rtts.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            }
        }
    });
    done = true;
    echo.get();
    const ForwarderStats stats = fwd.stop();
    ASSERT_GE(rtts.size(), 19u);  // the first may wait for ARP, none may be lost
    std::sort(rtts.begin(), rtts.end());
    const double median = rtts[rtts.size() / 2];
    EXPECT_GE(rtts.front(), 100.0);  // never faster than the configured delay
    EXPECT_NEAR(median, 100.0, 5.0);
    EXPECT_GE(stats.client_to_server.delayed, 19u);
}

TEST(ForwarderIntegration, ReorderIsObservedAtTheFarSide) {
    TCPLAB_REQUIRE_ROOT();
    ForwarderLab topo;
    Impairment imp;
    imp.client_to_server.delay_ms = 10;
    imp.client_to_server.reorder_percent = 25;
    imp.client_to_server.reorder_gap = 5;
    Forwarder fwd(config_for(topo, imp, {}));
    fwd.start();
    std::promise<void> ready;
    auto received = udp_receiver(topo.server_ns(), topo.server_ip(), 9000, ready);
    ready.get_future().wait();
    udp_send(topo.client_ns(), topo.server_ip(), 9000, 1000, 200, std::chrono::microseconds(500));
    const auto got = received.get();
    const ForwarderStats stats = fwd.stop();
    ASSERT_EQ(got.size(), 1000u);
    // A datagram is "early" when it arrives before one sent before it.
    std::size_t early = 0;
    for (std::size_t i = 1; i < got.size(); ++i) {
        early += got[i] < got[i - 1];
    }
    EXPECT_GT(stats.client_to_server.reordered, 0u);
    EXPECT_GT(early, 0u);
    // netem semantics: after gap-1 = 4 delayed packets each packet is a candidate with 25%
    // chance, so one reorder per 4 + 1/0.25 = 8 packets on average.
    EXPECT_NEAR(static_cast<double>(stats.client_to_server.reordered), 1000.0 / 8, 40);
}

TEST(ForwarderIntegration, DuplicateAndCorruptAreObservedAtTheFarSide) {
    TCPLAB_REQUIRE_ROOT();
    ForwarderLab topo;
    const ScratchDir scratch("fwd-dupcor");
    const auto& dir = scratch.path();
    Impairment imp;
    imp.client_to_server.duplicate_percent = 10;
    imp.client_to_server.corrupt_percent = 10;
    Forwarder fwd(config_for(topo, imp, dir / "ledger.jsonl"));
    fwd.start();
    std::promise<void> ready;
    auto received = udp_receiver(topo.server_ns(), topo.server_ip(), 9000, ready);
    ready.get_future().wait();
    const std::uint32_t n = 1000;
    udp_send(topo.client_ns(), topo.server_ip(), 9000, n);
    const auto got = received.get();
    const ForwarderStats stats = fwd.stop();
    std::map<std::uint32_t, int> times;
    for (auto s : got) {
        ++times[s];
    }
    std::size_t twice = 0;
    for (const auto& [seq, k] : times) {
        twice += k == 2;
    }
    // Duplicated datagrams arrive twice; corrupted ones fail the UDP checksum in the server's
    // kernel and never reach the socket (the sequence number sits in the payload, so a flipped
    // bit there cannot fake another datagram).
    EXPECT_GT(stats.client_to_server.duplicated, 50u);
    EXPECT_GT(stats.client_to_server.corrupted, 50u);
    const auto ledger = read_ledger(dir / "ledger.jsonl");
    EXPECT_EQ(count_action(ledger, "duplicate", Direction::client_to_server),
              stats.client_to_server.duplicated);
    EXPECT_EQ(count_action(ledger, "corrupt", Direction::client_to_server),
              stats.client_to_server.corrupted);
    // netem order: the copy is taken before the original is corrupted, so every duplicate
    // arrives and every corrupted original is refused by the receiver's UDP checksum.
    EXPECT_EQ(got.size(), n + stats.client_to_server.duplicated - stats.client_to_server.corrupted);
    EXPECT_GT(twice, 0u);
}

TEST(ForwarderIntegration, Rate10MbitGivesTcpGoodputWithin10Percent) {
    TCPLAB_REQUIRE_ROOT();
    ForwarderLab topo;
    Impairment imp;
    imp.client_to_server.rate_bps = 10'000'000;
    Forwarder fwd(config_for(topo, imp, {}));
    fwd.start();
    const BulkResult r =
        tcp_bulk(topo.client_ns(), topo.server_ns(), topo.server_ip(), 5002, 4 << 20);
    const ForwarderStats stats = fwd.stop();
    ASSERT_EQ(r.bytes, 4u << 20);
    const double mbit = static_cast<double>(r.bytes) * 8 / r.seconds / 1e6;
    RecordProperty("goodput_mbit", std::to_string(mbit));
    EXPECT_NEAR(mbit, 10.0, 1.0) << "goodput " << mbit << " Mbit/s";
    EXPECT_EQ(stats.client_to_server.dropped, 0u);
}

}  // namespace
}  // namespace tcplab::netem
