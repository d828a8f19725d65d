// Live capture at both ends of a topology, checked with tshark (the reference reader): every
// ping crosses both vantage points once each way, nothing is dropped, the counters add up.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/command.hpp"
#include "base/errors.hpp"
#include "netem/capture/capture.hpp"
#include "netem/lab/topology.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/traffic.hpp"
#include "tests/support/tshark.hpp"

using namespace tcplab::netem;
using namespace tcplab::test_support;
namespace fs = std::filesystem;

TEST(CaptureIntegration, BothEndsSeeEveryPingAndNothingIsDropped) {
    TCPLAB_REQUIRE_ROOT();
    if (!have_tool("tshark"))
        GTEST_SKIP() << "tshark not installed (the reference reader for the pcaps)";
    const tcplab::test_support::ScratchDir scratch("capture");
    const fs::path& dir = scratch.path();
    {
        auto topo = Topology::up();
        Capture client(
            {topo.namespace_name(Role::client), topo.client_interface(), dir / "client.pcap"});
        Capture server(
            {topo.namespace_name(Role::server), topo.server_interface(), dir / "server.pcap"});
        client.start();
        server.start();
        constexpr int kPings = 5;
        for (std::uint16_t i = 1; i <= kPings; ++i) {
            ASSERT_TRUE(
                ping_once(topo.namespace_name(Role::client), topo.server_ipv4(), i).has_value());
            ASSERT_TRUE(
                ping_once(topo.namespace_name(Role::client), topo.server_ipv6(), i).has_value());
        }
        const auto cs = client.stop();
        const auto ss = server.stop();
        for (const auto& [name, stats] : {std::pair{"client", cs}, std::pair{"server", ss}}) {
            EXPECT_TRUE(stats.complete())
                << name << " dropped " << stats.dropped << "/" << stats.if_dropped;
            EXPECT_GE(stats.written, 4U * kPings) << name;
            EXPECT_EQ(stats.received, stats.written) << name << ": every packet seen was written";
        }
        for (const char* file : {"client.pcap", "server.pcap"}) {
            EXPECT_EQ(tshark_count(dir / file, "icmp.type == 8"), kPings) << file;
            EXPECT_EQ(tshark_count(dir / file, "icmp.type == 0"), kPings) << file;
            EXPECT_EQ(tshark_count(dir / file, "icmpv6.type == 128"), kPings) << file;
            EXPECT_EQ(tshark_count(dir / file, "icmpv6.type == 129"), kPings) << file;
            // Offloads are off: checksums on the wire are real, and tshark agrees.
            EXPECT_EQ(tshark_count(dir / file, "ip.checksum.status == \"Bad\""), 0) << file;
        }
        // The vantage points differ: the client sees its own address as the IPv4 source of the
        // requests and the router decremented the TTL before the server's capture.
        EXPECT_EQ(tshark_count(dir / "client.pcap", "icmp.type == 8 && ip.ttl == 64"), kPings);
        EXPECT_EQ(tshark_count(dir / "server.pcap", "icmp.type == 8 && ip.ttl == 63"), kPings);
    }
}

TEST(CaptureIntegration, SnaplenAndFilterAreApplied) {
    TCPLAB_REQUIRE_ROOT();
    if (!have_tool("tshark")) GTEST_SKIP() << "tshark not installed";
    const tcplab::test_support::ScratchDir scratch("capture-snap");
    const fs::path& dir = scratch.path();
    {
        auto topo = Topology::up();
        CaptureOptions options{topo.namespace_name(Role::server), topo.server_interface(),
                               dir / "s.pcap"};
        options.snaplen = 60;
        options.filter = "icmp";  // IPv4 ICMP only
        Capture cap(options);
        cap.start();
        ASSERT_TRUE(
            ping_once(topo.namespace_name(Role::client), topo.server_ipv4(), 1).has_value());
        ASSERT_TRUE(
            ping_once(topo.namespace_name(Role::client), topo.server_ipv6(), 2).has_value());
        const auto stats = cap.stop();
        EXPECT_EQ(stats.written, 2U);  // request + reply, the v6 pair filtered out
        // Truncated to at most the snaplen (libpcap may keep slightly less: 58 seen here).
        EXPECT_EQ(tshark_count(dir / "s.pcap", "frame.cap_len <= 60 && frame.cap_len >= 54"), 2)
            << tcplab::system_runner()
                   .run({"tshark", "-n", "-r", (dir / "s.pcap").string(), "-T", "fields", "-e",
                         "frame.len", "-e", "frame.cap_len", "-e", "_ws.col.Info"})
                   .out;
        EXPECT_EQ(tshark_count(dir / "s.pcap", "frame.len == 98"), 2);  // 14 + 20 + 64
    }
}

TEST(CaptureIntegration, MissingInterfaceOrNamespaceIsAClearError) {
    TCPLAB_REQUIRE_ROOT();
    Capture bad_ns({"tl0-no-such-ns", "veth-c", "/tmp/never.pcap"});
    try {
        bad_ns.start();
        FAIL() << "started in a missing namespace";
    } catch (const tcplab::EnvironmentError& e) {
        EXPECT_NE(std::string(e.what()).find("tl0-no-such-ns"), std::string::npos) << e.what();
    }
    Capture bad_if({"", "tcplab-no-such-if", "/tmp/never.pcap"});
    try {
        bad_if.start();
        FAIL() << "started on a missing interface";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("tcplab-no-such-if"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists("/tmp/never.pcap"));
}
