// Throughput of the userspace forwarder against the kernel's own forwarding, through the same
// topology: one kernel TCP bulk transfer client -> server (MSS 1448: 1514-byte frames).
// bench/forwarder_bench.sh runs this with TCPLAB_BENCH=1, which also enforces the >= 1 Gbit/s
// target (without it the numbers are only recorded: a shared CI machine is no benchmark rig).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "forwarder_fixture.hpp"
#include "netem/forwarder.hpp"

namespace tcplab::netem {
namespace {

using namespace testing;

double gbit(const BulkResult& r) { return static_cast<double>(r.bytes) * 8 / r.seconds / 1e9; }

TEST(ForwarderPerf, NoImpairmentThroughputAgainstKernelForwarding) {
    if (!is_root()) {
        GTEST_SKIP() << "needs root: creates network namespaces and veths";
    }
    const bool bench = std::getenv("TCPLAB_BENCH") != nullptr;
    const std::uint64_t bytes = bench ? (512ull << 20) : (256ull << 20);
    TestTopology topo(20);

    run({"ip", "netns", "exec", topo.router_ns(), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"});
    const BulkResult kernel = tcp_bulk(topo.client_ns(), topo.server_ns(), topo.server_ip(), 5010, bytes, 180);
    run({"ip", "netns", "exec", topo.router_ns(), "sysctl", "-q", "-w", "net.ipv4.ip_forward=0"});
    ASSERT_EQ(kernel.bytes, bytes);

    ForwarderConfig c;
    c.router_netns = topo.router_ns();
    c.client_interface = "veth-rc";
    c.server_interface = "veth-rs";
    Forwarder fwd(c);
    fwd.start();
    const BulkResult user = tcp_bulk(topo.client_ns(), topo.server_ns(), topo.server_ip(), 5011, bytes, 180);
    const ForwarderStats stats = fwd.stop();
    ASSERT_EQ(user.bytes, bytes);
    EXPECT_EQ(stats.client_to_server.queue_drops, 0u);

    // Goodput -> wire rate of the 1514-byte frames that carried it.
    const double wire = 1514.0 / 1448.0;
    std::printf("kernel forwarding:    %.3f Gbit/s goodput (%.3f Gbit/s of frames)\n", gbit(kernel),
                gbit(kernel) * wire);
    std::printf("userspace forwarder:  %.3f Gbit/s goodput (%.3f Gbit/s of frames), %llu frames\n",
                gbit(user), gbit(user) * wire,
                static_cast<unsigned long long>(stats.client_to_server.forwarded));
    std::printf("ratio forwarder/kernel: %.2f\n", gbit(user) / gbit(kernel));
    RecordProperty("kernel_gbit", std::to_string(gbit(kernel)));
    RecordProperty("forwarder_gbit", std::to_string(gbit(user)));
    if (bench) {
        EXPECT_GE(gbit(user) * wire, 1.0) << "target: >= 1 Gbit/s of 1500-byte frames";
    }
}

}  // namespace
}  // namespace tcplab::netem
