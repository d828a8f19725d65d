// The tc backend's deterministic schedules are nftables rules in the router; they work on any
// kernel with nf_tables, so they are tested here against the kernel's own TCP retransmissions.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "base/command.hpp"
#include "netem/impair/tc_backend.hpp"
#include "netem/lab/topology.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/traffic.hpp"
#include "tests/support/tshark.hpp"

using namespace tcplab::netem;
using namespace tcplab::test_support;
namespace fs = std::filesystem;

namespace {

struct ScheduleRun {
    double connect_s = 0;
    std::string received;
    TcRunStats stats;
};

// Applies only the nft part of the tc backend (this kernel may lack sch_netem), captures at both
// ends, and makes one TCP connection carrying `payload`.
ScheduleRun run_schedule(const Impairment& imp, const fs::path& dir,
                         const std::string& address_kind) {
    auto topo = Topology::up();
    for (const auto& argv : nft_schedule_commands(topo.namespace_name(Role::router), imp)) {
        tcplab::system_runner().run(argv);
    }
    ScopedCapture client(topo.namespace_name(Role::client), topo.client_interface(),
                         dir / "client.pcap");
    ScopedCapture server(topo.namespace_name(Role::server), topo.server_interface(),
                         dir / "server.pcap");
    ScheduleRun out;
    const auto start = std::chrono::steady_clock::now();
    out.received =
        tcp_roundtrip(topo.namespace_name(Role::client), topo.namespace_name(Role::server),
                      address_kind == "v6" ? topo.server_ipv6() : topo.server_ipv4(), 5010,
                      "through the schedule", 15000);
    out.connect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    client.stop();
    server.stop();
    EXPECT_EQ(client.dropped(), 0u);
    EXPECT_EQ(server.dropped(), 0u);
    out.stats = TcBackend(topo.run_id(), imp).read_stats();
    return out;
}

class TcSchedule : public ::testing::Test {
protected:
    void SetUp() override {
        TCPLAB_REQUIRE_ROOT();
        if (!have_tool("tshark") || !have_tool("nft")) {
            GTEST_SKIP() << "needs tshark and nft";
        }
        scratch_.emplace("sched");
        dir_ = scratch_->path();
    }
    std::optional<ScratchDir> scratch_;
    fs::path dir_;
};

}  // namespace

TEST_F(TcSchedule, FirstTwoSynsDroppedKernelRetransmitsAndTheThirdGetsThrough) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_syns = 2;
    const auto run = run_schedule(imp, dir_, "v4");
    EXPECT_EQ(run.received, "through the schedule");
    // Two SYN RTOs of >= 1 s each (Linux >= 6.14 keeps them linear, tcp_syn_linear_timeouts).
    EXPECT_GE(run.connect_s, 1.9);
    EXPECT_EQ(tshark_count(dir_ / "client.pcap", "tcp.flags == 0x002"), 3);
    EXPECT_EQ(tshark_count(dir_ / "server.pcap", "tcp.flags == 0x002"), 1);
    EXPECT_EQ(run.stats.client_to_server.schedule_drops, 2U);
    EXPECT_EQ(run.stats.server_to_client.schedule_drops, 0U);
    EXPECT_FALSE(run.stats.client_to_server.netem.present);  // nft only in this test
}

TEST_F(TcSchedule, FirstSynAckDroppedOverIpv6) {
    Impairment imp;
    imp.server_to_client.schedule.drop_first_synacks = 1;
    const auto run = run_schedule(imp, dir_, "v6");
    EXPECT_EQ(run.received, "through the schedule");
    // The server repeats its SYN-ACK (own timer and the client's repeated SYN); exactly one of
    // them, the first, is missing at the client.
    const int sent = tshark_count(dir_ / "server.pcap", "tcp.flags == 0x012");
    const int arrived = tshark_count(dir_ / "client.pcap", "tcp.flags == 0x012");
    EXPECT_GE(sent, 2);
    EXPECT_EQ(sent - arrived, 1);
    EXPECT_EQ(run.stats.server_to_client.schedule_drops, 1U);
}

TEST_F(TcSchedule, FirstFinDroppedIsRetransmitted) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_fins = 1;
    const auto run = run_schedule(imp, dir_, "v4");
    EXPECT_EQ(run.received, "through the schedule");
    const int client_fins =
        tshark_count(dir_ / "client.pcap", "tcp.flags.fin == 1 && tcp.srcport != 5010");
    const int server_fins =
        tshark_count(dir_ / "server.pcap", "tcp.flags.fin == 1 && tcp.srcport != 5010");
    EXPECT_EQ(client_fins, server_fins + 1) << "exactly one client FIN lost on the path";
    EXPECT_EQ(run.stats.client_to_server.schedule_drops, 1U);
}
