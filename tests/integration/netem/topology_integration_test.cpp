// The topology against the real kernel: namespaces, veths, addresses, routes, forwarding,
// offloads, transactional cleanup (destructor, SIGTERM, SIGKILL + down_stale), concurrency.
// Needs root; skipped with the reason otherwise. Every test removes what it created.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <future>
#include <thread>

#include "base/command.hpp"
#include "base/errors.hpp"
#include "base/netns.hpp"
#include "base/stop_signal.hpp"
#include "netem/lab/run_state.hpp"
#include "netem/lab/topology.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/traffic.hpp"
#include "tests/support/tshark.hpp"

using namespace tcplab::netem;
using namespace tcplab::test_support;

namespace {

void expect_gone(int id) {
    for (Role role : kAllRoles) {
        EXPECT_FALSE(netns_exists(namespace_name(id, role))) << namespace_name(id, role);
    }
    EXPECT_FALSE(std::filesystem::exists(run_file(default_state_dir(), id)));
    const auto netns_list = command_output({"ip", "netns", "list"});
    EXPECT_EQ(netns_list.find("tl" + std::to_string(id) + "-"), std::string::npos) << netns_list;
}

// Reads one int the child writes to the pipe (its run id), or -1.
int read_int(int fd, int timeout_ms) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) return -1;
    int value = -1;
    return ::read(fd, &value, sizeof value) == sizeof value ? value : -1;
}

}  // namespace

TEST(TopologyIntegration, PingAndTcpOverV4AndV6ThroughTheRouter) {
    TCPLAB_REQUIRE_ROOT();
    int id = 0;
    {
        auto topo = Topology::up();
        id = topo.run_id();
        const auto cli = topo.namespace_name(Role::client);
        const auto srv = topo.namespace_name(Role::server);
        for (const auto& dst : {topo.server_ipv4(), topo.server_ipv6()}) {
            const auto reply = ping_once(cli, dst, 1);
            ASSERT_TRUE(reply.has_value()) << "no echo reply from " << dst;
            if (dst == topo.server_ipv4()) {
                EXPECT_EQ(reply->ttl, 63) << "one router hop expected";
            }
        }
        // Back the other way, and the kernel's TCP across the router on both families.
        EXPECT_TRUE(ping_once(srv, topo.client_ipv4(), 2).has_value());
        EXPECT_TRUE(ping_once(srv, topo.client_ipv6(), 3).has_value());
        EXPECT_EQ(tcp_roundtrip(cli, srv, topo.server_ipv4(), 5001, "hello v4"), "hello v4");
        EXPECT_EQ(tcp_roundtrip(cli, srv, topo.server_ipv6(), 5002, "hello v6"), "hello v6");
        // The router's two subnets are the only routes: nothing leads out of the lab.
        const auto routes = command_output({"ip", "-n", cli, "route", "show"});
        EXPECT_EQ(routes.find("default"), std::string::npos) << routes;
    }
    expect_gone(id);
}

// Static neighbour entries: the first packets of both families cross the path without a single
// ARP or NDP exchange (which the tc backend would delay like data), and each end's entry for its
// peer is permanent and carries the peer's fixed MAC.
TEST(TopologyIntegration, NoNeighbourResolutionCrossesThePath) {
    TCPLAB_REQUIRE_ROOT();
    if (!have_tool("tshark")) {
        GTEST_SKIP() << "needs tshark";
    }
    const ScratchDir dir("neigh");
    auto topo = Topology::up();
    EXPECT_STREQ(topo.path_warming(), kPathWarmingStaticNeighbours);
    const auto cli = topo.namespace_name(Role::client);
    const auto srv = topo.namespace_name(Role::server);
    {
        ScopedCapture client(cli, topo.client_interface(), dir.path() / "client.pcap");
        ScopedCapture server(srv, topo.server_interface(), dir.path() / "server.pcap");
        EXPECT_EQ(tcp_roundtrip(cli, srv, topo.server_ipv4(), 5001, "v4"), "v4");
        EXPECT_EQ(tcp_roundtrip(cli, srv, topo.server_ipv6(), 5002, "v6"), "v6");
        client.stop();
        server.stop();
    }
    const std::string resolution = "arp || icmpv6.type == 135 || icmpv6.type == 136";
    for (const char* side : {"client.pcap", "server.pcap"}) {
        EXPECT_GT(tshark_count(dir.path() / side, "tcp"), 0) << side;
        EXPECT_EQ(tshark_count(dir.path() / side, resolution), 0) << side;
    }
    const auto neigh = command_output({"ip", "-n", cli, "neigh", "show", "dev", "veth-c"});
    const std::string mac = veth_mac(topo.run_id(), kRouterClientInterface);
    EXPECT_NE(neigh.find(router_client_ipv4(topo.run_id()) + " lladdr " + mac + " PERMANENT"),
              std::string::npos)
        << neigh;
    EXPECT_NE(neigh.find(router_client_ipv6(topo.run_id()) + " lladdr " + mac + " PERMANENT"),
              std::string::npos)
        << neigh;
}

TEST(TopologyIntegration, OffloadsAreOffOnAllFourEnds) {
    TCPLAB_REQUIRE_ROOT();
    auto topo = Topology::up();
    const std::vector<std::pair<std::string, std::string>> ends = {
        {topo.namespace_name(Role::client), topo.client_interface()},
        {topo.namespace_name(Role::router), topo.router_client_interface()},
        {topo.namespace_name(Role::router), topo.router_server_interface()},
        {topo.namespace_name(Role::server), topo.server_interface()}};
    for (const auto& [ns, dev] : ends) {
        const auto k = command_output({"ip", "netns", "exec", ns, "ethtool", "-k", dev});
        for (const char* feature :
             {"tcp-segmentation-offload: off", "generic-segmentation-offload: off",
              "generic-receive-offload: off", "tx-checksumming: off", "rx-checksumming: off",
              "scatter-gather: off"}) {
            EXPECT_NE(k.find(feature), std::string::npos)
                << ns << "/" << dev << " lacks '" << feature << "'";
        }
    }
}

TEST(TopologyIntegration, WithoutKernelForwardingTheRouterDropsTransit) {
    TCPLAB_REQUIRE_ROOT();
    TopologyOptions options;
    options.kernel_forwarding = false;
    auto topo = Topology::up(options);
    const auto cli = topo.namespace_name(Role::client);
    EXPECT_TRUE(
        ping_once(cli, router_client_ipv4(topo.run_id()), 1).has_value());  // the router itself
    EXPECT_FALSE(ping_once(cli, topo.server_ipv4(), 2, 500).has_value());   // but not through it
}

TEST(TopologyIntegration, DestructionLeavesNothingAndNeverTouchesTheRootNamespace) {
    TCPLAB_REQUIRE_ROOT();
    const auto links_before = command_output({"ip", "-o", "link", "show"});
    int id = 0;
    {
        auto topo = Topology::up();
        id = topo.run_id();
        EXPECT_TRUE(std::filesystem::exists(run_file(default_state_dir(), id)));
        EXPECT_EQ(command_output({"ip", "-o", "link", "show"}), links_before)
            << "the topology must not create links in the root namespace";
    }
    expect_gone(id);
    EXPECT_EQ(command_output({"ip", "-o", "link", "show"}).find("veth-"), std::string::npos);
}

TEST(TopologyIntegration, SigkilledOwnerIsCleanedByDownStale) {
    TCPLAB_REQUIRE_ROOT();
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        try {
            auto topo = Topology::up();
            const int id = topo.run_id();
            (void)!::write(fds[1], &id, sizeof id);
            ::pause();  // killed here, destructor never runs
        } catch (...) {
        }
        ::_exit(1);
    }
    ::close(fds[1]);
    const int id = read_int(fds[0], 30000);
    ::close(fds[0]);
    ASSERT_GT(id, 0) << "child did not bring a topology up";
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);

    ASSERT_TRUE(netns_exists(namespace_name(id, Role::router)))
        << "leftovers expected after SIGKILL";
    const auto record = read_run(default_state_dir(), id);
    ASSERT_TRUE(record.has_value());
    EXPECT_TRUE(is_stale(*record));
    EXPECT_EQ(record->objects.size(), 5U);

    StaleOptions options;
    options.only_ids = std::set<int>{id};  // never touch other people's runs on a shared host
    const auto report = down_stale(options);
    EXPECT_TRUE(report.failures.empty());
    ASSERT_EQ(report.removed.size(), 1U);
    EXPECT_NE(report.removed[0].find("is gone"), std::string::npos) << report.removed[0];
    expect_gone(id);
}

TEST(TopologyIntegration, SigtermMakesTheOwnerCleanUp) {
    TCPLAB_REQUIRE_ROOT();
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        int rc = 1;
        try {
            tcplab::StopSignals signals;
            auto topo = Topology::up();
            const int id = topo.run_id();
            (void)!::write(fds[1], &id, sizeof id);
            for (int i = 0; i < 600 && !signals.wait_for(std::chrono::milliseconds(100)); ++i) {
            }
            rc = tcplab::stop_requested() ? 0 : 2;
        } catch (...) {
            rc = 3;
        }  // topo's destructor ran before this line
        ::_exit(rc);
    }
    ::close(fds[1]);
    const int id = read_int(fds[0], 30000);
    ::close(fds[0]);
    ASSERT_GT(id, 0);
    ASSERT_TRUE(netns_exists(namespace_name(id, Role::client)));
    ::kill(child, SIGTERM);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    expect_gone(id);
}

TEST(TopologyIntegration, TwoTopologiesAtOnceDoNotCollide) {
    TCPLAB_REQUIRE_ROOT();
    std::optional<Topology> a;
    std::optional<Topology> b;
    std::exception_ptr error_a;
    std::exception_ptr error_b;
    std::thread ta([&] {
        try {
            a.emplace(Topology::up());
        } catch (...) {
            error_a = std::current_exception();
        }
    });
    std::thread tb([&] {
        try {
            b.emplace(Topology::up());
        } catch (...) {
            error_b = std::current_exception();
        }
    });
    ta.join();
    tb.join();
    if (error_a) std::rethrow_exception(error_a);
    if (error_b) std::rethrow_exception(error_b);
    ASSERT_NE(a->run_id(), b->run_id());
    for (const auto* t : {&*a, &*b}) {
        EXPECT_TRUE(ping_once(t->namespace_name(Role::client), t->server_ipv4(), 1).has_value());
        EXPECT_TRUE(ping_once(t->namespace_name(Role::client), t->server_ipv6(), 2).has_value());
    }
    // Isolated: a's client has no route to b's server.
    EXPECT_FALSE(ping_once(a->namespace_name(Role::client), b->server_ipv4(), 3, 300).has_value());
    const int ida = a->run_id();
    const int idb = b->run_id();
    a.reset();
    EXPECT_TRUE(netns_exists(namespace_name(idb, Role::router)));  // b untouched by a's teardown
    b.reset();
    expect_gone(ida);
    expect_gone(idb);
}

TEST(TopologyIntegration, TakenIdIsAUsageErrorAndChangesNothing) {
    TCPLAB_REQUIRE_ROOT();
    auto topo = Topology::up();
    TopologyOptions options;
    options.run_id = topo.run_id();
    EXPECT_THROW(Topology::up(options), tcplab::UsageError);
    EXPECT_TRUE(netns_exists(topo.namespace_name(Role::server)));
}

// The orphan rule (topology_stale.hpp) on real namespaces: with no state file, a namespace is
// removed only when nobody is inside it (no process, no thread that setns()'d in, no descriptor)
// and it is older than the grace period.
TEST(TopologyIntegration, OrphanNamespacesAreRemovedOnlyWhenUnusedAndOld) {
    TCPLAB_REQUIRE_ROOT();
    int id = 0;
    for (int n = kMaxRunId; n >= kMinRunId && id == 0; --n) {
        if (!run_namespaces_exist(n) && !std::filesystem::exists(run_file(default_state_dir(), n)))
            id = n;
    }
    ASSERT_GT(id, 0);
    const std::string prefix = "tl" + std::to_string(id) + "-";
    const std::string empty_ns = prefix + "orphan";
    const std::string proc_ns = prefix + "proc";
    const std::string thread_ns = prefix + "thread";
    for (const auto& ns : {empty_ns, proc_ns, thread_ns}) {
        tcplab::system_runner().run({"ip", "netns", "add", ns});
    }
    struct Cleanup {
        std::vector<std::string> names;
        ~Cleanup() {
            for (const auto& n : names)
                tcplab::system_runner().run({"ip", "netns", "del", n}, false);
        }
    } cleanup{{empty_ns, proc_ns, thread_ns}};
    // A process living inside proc_ns (bounded: 30 s).
    const pid_t sleeper = ::fork();
    if (sleeper == 0) {
        ::execlp("ip", "ip", "netns", "exec", proc_ns.c_str(), "sleep", "30", nullptr);
        ::_exit(127);
    }
    for (int i = 0; i < 50 && !namespace_user(proc_ns); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // A thread of this process inside thread_ns, as the scenario runner's captures and servers
    // are: no process of the namespace exists, only the thread.
    std::promise<void> entered;
    std::promise<void> leave;
    std::thread inside([&] {
        tcplab::ScopedNetns in(thread_ns);
        entered.set_value();
        leave.get_future().wait();
    });
    entered.get_future().wait();
    const auto thread_user = namespace_user(thread_ns);
    ASSERT_TRUE(thread_user.has_value());
    EXPECT_NE(thread_user->find("thread"), std::string::npos) << *thread_user;

    StaleOptions options;
    options.only_ids = std::set<int>{id};
    options.sweep_orphan_namespaces = true;
    // Default grace: all three are young, nothing goes.
    auto report = down_stale(options);
    EXPECT_TRUE(report.removed.empty());
    for (const auto& ns : {empty_ns, proc_ns, thread_ns}) EXPECT_TRUE(netns_exists(ns)) << ns;
    const auto plan = plan_stale(options);
    int young = 0;
    for (const auto& o : plan.orphans) {
        if (o.run_id == id) young += o.action == OrphanAction::keep_young ? 1 : 0;
    }
    EXPECT_EQ(young, 1) << "the unused one is kept only for its age";

    options.orphan_grace = std::chrono::seconds(0);
    report = down_stale(options);
    EXPECT_FALSE(netns_exists(empty_ns));
    EXPECT_TRUE(netns_exists(proc_ns)) << "a namespace with a live process is someone's";
    EXPECT_TRUE(netns_exists(thread_ns)) << "a namespace a thread entered is someone's";
    ASSERT_EQ(report.removed.size(), 1U);
    EXPECT_NE(report.removed[0].find(empty_ns), std::string::npos);
    leave.set_value();
    inside.join();
    ::kill(sleeper, SIGKILL);
    ::waitpid(sleeper, nullptr, 0);
}
