// `tcplab net up --dry-run`: the exact argv lists a topology runs, checked without root.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "base/command.hpp"
#include "base/errors.hpp"
#include "netem/lab/topology.hpp"

using namespace tcplab::netem;

namespace {

std::vector<std::string> lines(const std::vector<tcplab::Argv>& cmds) {
    std::vector<std::string> out;
    for (const auto& c : cmds) out.push_back(tcplab::format_command(c));
    return out;
}

TopologyOptions dry(tcplab::DryRunRunner& runner, int id) {
    TopologyOptions o;
    o.run_id = id;
    o.runner = &runner;
    o.state_dir = std::filesystem::temp_directory_path() / "tcplab-unit-no-state";
    return o;
}

}  // namespace

TEST(TopologyDryRun, UpRunsExactlyTheseCommands) {
    tcplab::DryRunRunner runner;
    {
        auto topo = Topology::up(dry(runner, 7));
        topo.detach();
    }
    const std::vector<std::string> expected = {
        "ip netns add tl7-cli",
        "ip netns add tl7-rtr",
        "ip netns add tl7-srv",
        "ip -n tl7-cli link set lo up",
        "ip netns exec tl7-cli sysctl -q -w net.ipv6.conf.default.accept_dad=0 "
        "net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0",
        "ip -n tl7-rtr link set lo up",
        "ip netns exec tl7-rtr sysctl -q -w net.ipv6.conf.default.accept_dad=0 "
        "net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0",
        "ip -n tl7-srv link set lo up",
        "ip netns exec tl7-srv sysctl -q -w net.ipv6.conf.default.accept_dad=0 "
        "net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0",
        "ip -n tl7-cli link add veth-c address 02:74:6c:00:07:01 type veth peer name veth-rc "
        "address 02:74:6c:00:07:02 netns tl7-rtr",
        "ip -n tl7-srv link add veth-s address 02:74:6c:00:07:04 type veth peer name veth-rs "
        "address 02:74:6c:00:07:03 netns tl7-rtr",
        "ip netns exec tl7-cli ethtool -K veth-c tso off gso off gro off lro off tx off rx off sg "
        "off",
        "ip netns exec tl7-rtr ethtool -K veth-rc tso off gso off gro off lro off tx off rx off sg "
        "off",
        "ip netns exec tl7-rtr ethtool -K veth-rs tso off gso off gro off lro off tx off rx off sg "
        "off",
        "ip netns exec tl7-srv ethtool -K veth-s tso off gso off gro off lro off tx off rx off sg "
        "off",
        "ip -n tl7-cli addr add 198.18.7.2/24 dev veth-c",
        "ip -n tl7-cli addr add fd7c:7:1::2/64 dev veth-c nodad",
        "ip -n tl7-rtr addr add 198.18.7.1/24 dev veth-rc",
        "ip -n tl7-rtr addr add fd7c:7:1::1/64 dev veth-rc nodad",
        "ip -n tl7-rtr addr add 198.19.7.1/24 dev veth-rs",
        "ip -n tl7-rtr addr add fd7c:7:2::1/64 dev veth-rs nodad",
        "ip -n tl7-srv addr add 198.19.7.2/24 dev veth-s",
        "ip -n tl7-srv addr add fd7c:7:2::2/64 dev veth-s nodad",
        "ip -n tl7-cli link set veth-c up",
        "ip -n tl7-rtr link set veth-rc up",
        "ip -n tl7-rtr link set veth-rs up",
        "ip -n tl7-srv link set veth-s up",
        "ip -n tl7-cli route add 198.19.7.0/24 via 198.18.7.1",
        "ip -n tl7-cli -6 route add fd7c:7:2::/64 via fd7c:7:1::1",
        "ip -n tl7-srv route add 198.18.7.0/24 via 198.19.7.1",
        "ip -n tl7-srv -6 route add fd7c:7:1::/64 via fd7c:7:2::1",
        // Each end knows its peer's MAC from the start: no ARP/NDP ever crosses the path.
        "ip -n tl7-cli neigh replace 198.18.7.1 lladdr 02:74:6c:00:07:02 dev veth-c nud permanent",
        "ip -n tl7-cli neigh replace fd7c:7:1::1 lladdr 02:74:6c:00:07:02 dev veth-c nud "
        "permanent",
        "ip -n tl7-rtr neigh replace 198.18.7.2 lladdr 02:74:6c:00:07:01 dev veth-rc nud "
        "permanent",
        "ip -n tl7-rtr neigh replace fd7c:7:1::2 lladdr 02:74:6c:00:07:01 dev veth-rc nud "
        "permanent",
        "ip -n tl7-rtr neigh replace 198.19.7.2 lladdr 02:74:6c:00:07:04 dev veth-rs nud "
        "permanent",
        "ip -n tl7-rtr neigh replace fd7c:7:2::2 lladdr 02:74:6c:00:07:04 dev veth-rs nud "
        "permanent",
        "ip -n tl7-srv neigh replace 198.19.7.1 lladdr 02:74:6c:00:07:03 dev veth-s nud permanent",
        "ip -n tl7-srv neigh replace fd7c:7:2::1 lladdr 02:74:6c:00:07:03 dev veth-s nud "
        "permanent",
        "ip netns exec tl7-rtr sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1",
    };
    EXPECT_EQ(lines(runner.commands()), expected);
}

TEST(TopologyDryRun, StaticNeighboursCanBeTurnedOffAndTheReportSaysSo) {
    tcplab::DryRunRunner on_runner;
    tcplab::DryRunRunner off_runner;
    auto off = dry(off_runner, 9);
    off.static_neighbours = false;
    {
        auto with = Topology::up(dry(on_runner, 9));
        auto without = Topology::up(off);
        EXPECT_STREQ(with.path_warming(), kPathWarmingStaticNeighbours);
        EXPECT_STREQ(without.path_warming(), kPathWarmingNone);
        with.detach();
        without.detach();
    }
    const auto count_neigh = [](const tcplab::DryRunRunner& r) {
        const auto all = lines(r.commands());
        return std::count_if(all.begin(), all.end(), [](const std::string& l) {
            return l.find(" neigh replace ") != std::string::npos;
        });
    };
    EXPECT_EQ(count_neigh(on_runner), 8);
    EXPECT_EQ(count_neigh(off_runner), 0);
}

TEST(TopologyDryRun, DownRemovesInReverseCreationOrder) {
    tcplab::DryRunRunner runner;
    auto options = dry(runner, 12);
    options.kernel_forwarding = false;
    options.disable_offloads = false;
    options.quiet_ipv6 = false;
    {
        auto topo = Topology::up(options);
        EXPECT_EQ(topo.namespace_name(Role::router), "tl12-rtr");
        EXPECT_EQ(topo.client_ipv6(), "fd7c:12:1::2");
        EXPECT_EQ(topo.server_ipv4(), "198.19.12.2");
    }  // destructor: down
    const auto all = lines(runner.commands());
    EXPECT_NE(std::find(all.begin(), all.end(),
                        "ip netns exec tl12-rtr sysctl -q -w net.ipv4.ip_forward=0 "
                        "net.ipv6.conf.all.forwarding=0"),
              all.end());
    for (const auto& l : all) {
        EXPECT_EQ(l.find("ethtool"), std::string::npos) << l;
    }
    const std::vector<std::string> tail(all.end() - 5, all.end());
    EXPECT_EQ(tail, (std::vector<std::string>{
                        "ip -n tl12-srv link del veth-s",
                        "ip -n tl12-cli link del veth-c",
                        "ip netns del tl12-srv",
                        "ip netns del tl12-rtr",
                        "ip netns del tl12-cli",
                    }));
}

TEST(TopologyDryRun, IdOutOfRangeIsAUsageError) {
    tcplab::DryRunRunner runner;
    EXPECT_THROW(Topology::up(dry(runner, 251)), tcplab::UsageError);
    EXPECT_THROW(Topology::up(dry(runner, 0)), tcplab::UsageError);
    EXPECT_TRUE(runner.commands().empty());
}

TEST(TopologyNames, RolesAndAddresses) {
    EXPECT_EQ(namespace_name(250, Role::server), "tl250-srv");
    EXPECT_EQ(role_from_string("client"), Role::client);
    EXPECT_EQ(role_from_string("rtr"), Role::router);
    EXPECT_THROW(role_from_string("host"), tcplab::UsageError);
    EXPECT_EQ(router_server_ipv6(3), "fd7c:3:2::1");
    EXPECT_EQ(router_client_ipv4(3), "198.18.3.1");
    EXPECT_EQ(veth_mac(250, "veth-c"), "02:74:6c:00:fa:01");
    EXPECT_EQ(veth_mac(1, "veth-s"), "02:74:6c:00:01:04");
    EXPECT_THROW(veth_mac(1, "eth0"), tcplab::UsageError);
}
