// `tcplab net` end to end through the binary: up in the foreground + SIGTERM, up --detach +
// exec + status + down, the userspace forwarder detached, and the exit-3 message without
// privileges.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "base/command.hpp"
#include "netem/lab/run_state.hpp"
#include "netem/lab/topology_names.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/root.hpp"

using namespace tcplab::netem;
using namespace tcplab::test_support;

namespace {

class NetCli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!is_root()) GTEST_SKIP() << "needs root (creates network namespaces)";
        if (!std::filesystem::exists(TCPLAB_BINARY))
            GTEST_SKIP() << "tcplab binary not built: " << TCPLAB_BINARY;
    }
};

int run_id_from(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex(R"(run (\d+) up)")) ? std::stoi(m[1].str()) : -1;
}

}  // namespace

TEST_F(NetCli, DetachExecStatusDown) {
    const auto up = tcplab::system_runner().run({TCPLAB_BINARY, "net", "up", "--detach"});
    const int id = run_id_from(up.out);
    ASSERT_GT(id, 0) << up.out;
    const std::string n = std::to_string(id);
    const auto addr = tcplab::system_runner().run(
        {TCPLAB_BINARY, "net", "exec", "cli", "--id", n, "--", "ip", "-br", "addr"});
    EXPECT_NE(addr.out.find(client_ipv4(id) + "/24"), std::string::npos) << addr.out;
    const auto status = tcplab::system_runner().run({TCPLAB_BINARY, "net", "status"});
    EXPECT_NE(status.out.find("run " + n + "  detached"), std::string::npos) << status.out;
    const auto down = tcplab::system_runner().run({TCPLAB_BINARY, "net", "down", n});
    EXPECT_NE(down.out.find("removed run " + n), std::string::npos) << down.out;
    for (Role role : kAllRoles) EXPECT_FALSE(netns_exists(namespace_name(id, role)));
    EXPECT_FALSE(std::filesystem::exists(run_file(default_state_dir(), id)));
    EXPECT_EQ(tcplab::system_runner().run({TCPLAB_BINARY, "net", "down", n}, false).exit_code, 2);
}

// net up --backend userspace --detach: the forwarder impairs the path from a background process
// that owns the run; net down stops it; a killed one leaves a stale run that --stale removes.
TEST_F(NetCli, UserspaceForwarderRunsDetachedAndIsStoppedOrSwept) {
    for (const bool kill_it : {false, true}) {
        const auto up = tcplab::system_runner().run(
            {TCPLAB_BINARY, "net", "up", "--backend", "userspace", "--delay", "100", "--detach"});
        const int id = run_id_from(up.out);
        ASSERT_GT(id, 0) << up.out;
        const std::string n = std::to_string(id);
        const auto ping =
            tcplab::system_runner().run({TCPLAB_BINARY, "net", "exec", "cli", "--id", n, "--",
                                         "ping", "-c", "2", "-W", "2", server_ipv4(id)},
                                        false);
        std::smatch rtt;
        ASSERT_TRUE(std::regex_search(ping.out, rtt, std::regex(R"(time=(\d+))"))) << ping.out;
        EXPECT_GE(std::stoi(rtt[1].str()), 190) << "100 ms each way through the forwarder";
        const auto record = read_run(default_state_dir(), id);
        ASSERT_TRUE(record.has_value());
        EXPECT_EQ(run_status(*record), RunStatus::running);
        if (kill_it) {
            ::kill(record->pid, SIGKILL);
            for (int i = 0; i < 50 && owner_alive(*record); ++i) ::usleep(100'000);
            const auto status = tcplab::system_runner().run({TCPLAB_BINARY, "net", "status"});
            EXPECT_NE(status.out.find("run " + n + "  stale"), std::string::npos) << status.out;
            tcplab::system_runner().run({TCPLAB_BINARY, "net", "down", "--stale"});
        } else {
            const auto down = tcplab::system_runner().run({TCPLAB_BINARY, "net", "down", n});
            EXPECT_NE(down.out.find("run " + n + " removed by its owner"), std::string::npos)
                << down.out;
        }
        for (Role role : kAllRoles) EXPECT_FALSE(netns_exists(namespace_name(id, role)));
        EXPECT_FALSE(std::filesystem::exists(run_file(default_state_dir(), id)));
    }
}

TEST_F(NetCli, ForegroundUpCleansUpOnSigterm) {
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::close(out[0]);
        ::execl(TCPLAB_BINARY, TCPLAB_BINARY, "net", "up", nullptr);
        ::_exit(127);
    }
    ::close(out[1]);
    std::string text;
    int id = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (id < 0 && std::chrono::steady_clock::now() < deadline) {
        pollfd pfd{out[0], POLLIN, 0};
        if (::poll(&pfd, 1, 500) <= 0) continue;
        char buf[512];
        const ssize_t got = ::read(out[0], buf, sizeof buf);
        if (got <= 0) break;
        text.append(buf, static_cast<std::size_t>(got));
        if (text.find("press Ctrl-C") != std::string::npos) id = run_id_from(text);
    }
    ASSERT_GT(id, 0) << text;
    EXPECT_TRUE(netns_exists(namespace_name(id, Role::router)));
    ::kill(child, SIGTERM);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(out[0]);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    for (Role role : kAllRoles) EXPECT_FALSE(netns_exists(namespace_name(id, role)));
    EXPECT_FALSE(std::filesystem::exists(run_file(default_state_dir(), id)));
}

TEST_F(NetCli, WithoutPrivilegesExitsThreeWithAClearMessage) {
    if (tcplab::system_runner().run({"sh", "-c", "command -v setpriv"}, false).exit_code != 0) {
        GTEST_SKIP() << "setpriv (util-linux) not installed";
    }
    const auto r =
        tcplab::system_runner().run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                     "--inh-caps=-all", TCPLAB_BINARY, "net", "up", "--detach"},
                                    false);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find("needs root"), std::string::npos) << r.err;
    const auto dry = tcplab::system_runner().run(
        {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
         TCPLAB_BINARY, "net", "up", "--dry-run", "--id", "9"},
        false);
    EXPECT_EQ(dry.exit_code, 0) << dry.err;  // dry-run needs no privileges
    EXPECT_NE(dry.out.find("ip netns add tl9-cli"), std::string::npos);
}
