// The tc backend's deterministic schedules are nftables rules in the router, or iptables-legacy
// rules where nf_tables lacks the inet family (the UML guest); neither needs sch_netem, so both
// forms are tested here against the kernel's own TCP retransmissions, with the same expectations.
// VmCi.TcBackendTestsPassInGuest runs the iptables-legacy form inside the UML guest too.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "base/command.hpp"
#include "netem/impair/iptables_schedule.hpp"
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
    std::uint64_t c2s_drops = 0;  // the schedule's own counters
    std::uint64_t s2c_drops = 0;
};

// The schedule's drop counters per direction, read as TcBackend::read_stats reads them.
void read_counters(ScheduleMechanism mechanism, const std::string& router, ScheduleRun& out) {
    std::vector<std::pair<std::string, std::uint64_t>> counters;
    if (mechanism == ScheduleMechanism::nftables) {
        counters = parse_schedule_counters(tcplab::system_runner()
                                               .run({"ip", "netns", "exec", router, "nft", "-j",
                                                     "list", "table", "inet", "tcplab"})
                                               .out);
    } else {
        for (const auto& argv : iptables_counter_commands(router)) {
            const auto more =
                parse_iptables_schedule_counters(tcplab::system_runner().run(argv).out);
            counters.insert(counters.end(), more.begin(), more.end());
        }
    }
    for (const auto& [chain, packets] : counters) {
        (chain.rfind("c2s_", 0) == 0 ? out.c2s_drops : out.s2c_drops) += packets;
    }
}

// Applies only the schedule part of the tc backend (this kernel may lack sch_netem), captures at
// both ends, and makes one TCP connection carrying `payload`.
ScheduleRun run_schedule(ScheduleMechanism mechanism, const Impairment& imp, const fs::path& dir,
                         const std::string& address_kind) {
    auto topo = Topology::up();
    const std::string router = topo.namespace_name(Role::router);
    for (const auto& argv : mechanism == ScheduleMechanism::nftables
                                ? nft_schedule_commands(router, imp)
                                : iptables_schedule_commands(router, imp)) {
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
    read_counters(mechanism, router, out);
    return out;
}

class TcSchedule : public ::testing::TestWithParam<ScheduleMechanism> {
protected:
    void SetUp() override {
        TCPLAB_REQUIRE_ROOT();
        const char* tool = GetParam() == ScheduleMechanism::nftables ? "nft" : "iptables-legacy";
        if (!have_tool("tshark") || !have_tool(tool)) {
            GTEST_SKIP() << "needs tshark and " << tool;
        }
        scratch_.emplace("sched");
        dir_ = scratch_->path();
    }
    ScheduleRun run(const Impairment& imp, const std::string& address_kind) {
        return run_schedule(GetParam(), imp, dir_, address_kind);
    }
    std::optional<ScratchDir> scratch_;
    fs::path dir_;
};

}  // namespace

TEST_P(TcSchedule, FirstTwoSynsDroppedKernelRetransmitsAndTheThirdGetsThrough) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_syns = 2;
    const auto result = run(imp, "v4");
    EXPECT_EQ(result.received, "through the schedule");
    // Two SYN RTOs of >= 1 s each (Linux >= 6.14 keeps them linear, tcp_syn_linear_timeouts).
    EXPECT_GE(result.connect_s, 1.9);
    EXPECT_EQ(tshark_count(dir_ / "client.pcap", "tcp.flags == 0x002"), 3);
    EXPECT_EQ(tshark_count(dir_ / "server.pcap", "tcp.flags == 0x002"), 1);
    EXPECT_EQ(result.c2s_drops, 2U);
    EXPECT_EQ(result.s2c_drops, 0U);
}

TEST_P(TcSchedule, FirstSynAckDroppedOverIpv6) {
    Impairment imp;
    imp.server_to_client.schedule.drop_first_synacks = 1;
    const auto result = run(imp, "v6");
    EXPECT_EQ(result.received, "through the schedule");
    // The server repeats its SYN-ACK (own timer and the client's repeated SYN); exactly one of
    // them, the first, is missing at the client.
    const int sent = tshark_count(dir_ / "server.pcap", "tcp.flags == 0x012");
    const int arrived = tshark_count(dir_ / "client.pcap", "tcp.flags == 0x012");
    EXPECT_GE(sent, 2);
    EXPECT_EQ(sent - arrived, 1);
    EXPECT_EQ(result.s2c_drops, 1U);
}

TEST_P(TcSchedule, FirstFinDroppedIsRetransmitted) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_fins = 1;
    const auto result = run(imp, "v4");
    EXPECT_EQ(result.received, "through the schedule");
    const int client_fins =
        tshark_count(dir_ / "client.pcap", "tcp.flags.fin == 1 && tcp.srcport != 5010");
    const int server_fins =
        tshark_count(dir_ / "server.pcap", "tcp.flags.fin == 1 && tcp.srcport != 5010");
    EXPECT_EQ(client_fins, server_fins + 1) << "exactly one client FIN lost on the path";
    EXPECT_EQ(result.c2s_drops, 1U);
}

// The handshake's third segment is the client's first pure ACK: it is the one lost, and the
// u32/doff matching of each family must see it as pure (no payload) while data segments pass.
TEST_P(TcSchedule, FirstPureAckDroppedInBothFamilies) {
    for (const std::string family : {"v4", "v6"}) {
        Impairment imp;
        imp.client_to_server.schedule.drop_first_pure_acks = 1;
        const auto result = run(imp, family);
        EXPECT_EQ(result.received, "through the schedule") << family;
        const std::string pure = "tcp.flags == 0x010 && tcp.len == 0 && tcp.srcport != 5010";
        const int sent = tshark_count(dir_ / "client.pcap", pure);
        const int arrived = tshark_count(dir_ / "server.pcap", pure);
        EXPECT_GE(sent, 1) << family;
        EXPECT_EQ(sent - arrived, 1) << family << ": exactly one pure ACK lost";
        EXPECT_EQ(result.c2s_drops, 1U) << family;
        // Every data segment of the client arrived.
        const std::string data = "tcp.len > 0 && tcp.srcport != 5010";
        EXPECT_EQ(tshark_count(dir_ / "client.pcap", data),
                  tshark_count(dir_ / "server.pcap", data))
            << family;
    }
}

INSTANTIATE_TEST_SUITE_P(Mechanisms, TcSchedule,
                         ::testing::Values(ScheduleMechanism::nftables,
                                           ScheduleMechanism::iptables_legacy),
                         [](const auto& info) {
                             return info.param == ScheduleMechanism::nftables
                                        ? std::string("nftables")
                                        : std::string("iptables_legacy");
                         });
