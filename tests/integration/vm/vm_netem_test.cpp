// Real sch_netem inside the User-Mode Linux guest: the proof that `tcplab vm run` gives the tc
// backend a real netem on hosts whose kernel has none. Two namespaces joined by a veth inside the
// guest, netem on one end, the kernel's own ICMP echo as the peer, ping as the meter.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <regex>

#include "vm_test_support.hpp"

namespace tcplab::vmtest {
namespace {

using ::testing::HasSubstr;

class VmNetem : public ::testing::Test {
protected:
    void SetUp() override {
        if (const auto reason = uml_unavailable_reason(); !reason.empty()) {
            GTEST_SKIP() << reason;
        }
        if (::access("/usr/bin/ping", X_OK) != 0 && ::access("/bin/ping", X_OK) != 0) {
            GTEST_SKIP() << "ping (iputils-ping) is not installed";
        }
    }
};

// The topology, without ARP and IPv6 (static neighbours, IPv6 off), so that netem's drop counter
// counts exactly the echo requests it dropped.
constexpr const char* kTopology = R"(set -e
ip netns add tlvm-cli
ip netns add tlvm-srv
for ns in tlvm-cli tlvm-srv; do
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n $ns link set lo up
done
ip link add va address 02:00:00:00:00:01 netns tlvm-cli type veth \
    peer name vb address 02:00:00:00:00:02 netns tlvm-srv
ip -n tlvm-cli addr add 198.18.0.1/24 dev va
ip -n tlvm-srv addr add 198.18.0.2/24 dev vb
ip -n tlvm-cli link set va up
ip -n tlvm-srv link set vb up
ip -n tlvm-cli neigh replace 198.18.0.2 lladdr 02:00:00:00:00:02 dev va nud permanent
ip -n tlvm-srv neigh replace 198.18.0.1 lladdr 02:00:00:00:00:01 dev vb nud permanent
)";

struct PingStats {
    int transmitted = -1;
    int received = -1;
    double rtt_min = -1;
    double rtt_avg = -1;
    double rtt_max = -1;
};

// Parses the ping summary that follows `label` in `text`.
PingStats parse_ping(const std::string& text, const std::string& label) {
    PingStats stats;
    const auto at = text.find(label);
    if (at == std::string::npos) {
        return stats;
    }
    const std::string rest = text.substr(at);
    std::smatch m;
    if (std::regex_search(rest, m, std::regex(R"((\d+) packets transmitted, (\d+) received)"))) {
        stats.transmitted = std::stoi(m[1]);
        stats.received = std::stoi(m[2]);
    }
    if (std::regex_search(rest, m, std::regex(R"(= ([\d.]+)/([\d.]+)/([\d.]+)/)"))) {
        stats.rtt_min = std::stod(m[1]);
        stats.rtt_avg = std::stod(m[2]);
        stats.rtt_max = std::stod(m[3]);
    }
    return stats;
}

TEST_F(VmNetem, LossAndDelayOnAVethAreReal) {
    constexpr int kCount = 300;
    constexpr double kLoss = 0.10;
    const std::string script = std::string(kTopology) +
                               "echo '== baseline'\n"
                               "timeout 60 ip netns exec tlvm-cli ping -q -n -c 20 -i 0.01 -W 2 "
                               "198.18.0.2 || true\n"
                               "tc -n tlvm-cli qdisc add dev va root netem loss 10% delay 20ms\n"
                               "echo '== netem'\n"
                               "timeout 120 ip netns exec tlvm-cli ping -q -n -c " +
                               std::to_string(kCount) +
                               " -i 0.01 -W 2 198.18.0.2 || true\n"
                               "echo '== qdisc'\n"
                               "tc -s -n tlvm-cli qdisc show dev va\n";
    const ProcessRun run = run_tcplab({"vm", "run", "--timeout", "400", "--", "sh", "-c", script});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

    const PingStats baseline = parse_ping(run.out, "== baseline");
    const PingStats netem = parse_ping(run.out, "== netem");
    ASSERT_EQ(baseline.transmitted, 20) << run.out;
    ASSERT_EQ(netem.transmitted, kCount) << run.out;
    EXPECT_EQ(baseline.received, 20) << "loss without netem:\n" << run.out;
    EXPECT_LT(baseline.rtt_min, 20.0) << "the path is slow even without netem:\n" << run.out;

    // Loss: binomial(300, 0.1), two-sided 99.9% (z = 3.29) bounds.
    const int lost = netem.transmitted - netem.received;
    const double mean = kCount * kLoss;
    const double sd = std::sqrt(kCount * kLoss * (1 - kLoss));
    const int low = static_cast<int>(std::floor(mean - 3.29 * sd));
    const int high = static_cast<int>(std::ceil(mean + 3.29 * sd));
    EXPECT_GE(lost, low) << run.out;
    EXPECT_LE(lost, high) << run.out;
    // Delay: nothing can come back faster than the 20 ms netem holds each request.
    EXPECT_GE(netem.rtt_min, 20.0) << run.out;

    // Ground truth: netem's own drop counter equals what ping lost (no ARP/ND on this wire).
    std::smatch m;
    const std::string qdisc = run.out.substr(run.out.find("== qdisc"));
    ASSERT_TRUE(std::regex_search(qdisc, m, std::regex(R"(qdisc netem .*\n.*\(dropped (\d+),)")))
        << qdisc;
    EXPECT_EQ(std::stoi(m[1]), lost) << qdisc;

    std::cout << "in-guest netem loss 10% delay 20ms: " << lost << "/" << kCount << " lost ("
              << 100.0 * lost / kCount << "%, 99.9% bounds " << low << ".." << high
              << "), rtt min/avg/max " << netem.rtt_min << "/" << netem.rtt_avg << "/"
              << netem.rtt_max << " ms; baseline rtt min/avg/max " << baseline.rtt_min << "/"
              << baseline.rtt_avg << "/" << baseline.rtt_max << " ms\n";
    RecordProperty("lost", lost);
    RecordProperty("rtt_min_us", static_cast<int>(netem.rtt_min * 1000));
}

// What the tc backend and the userspace forwarder reach for loads on demand in the guest: the
// module helper tcplab installs points the kernel at UML's module tree. Note Debian's UML kernel
// (6.1) builds nf_tables without the ip/ip6/inet families (only bridge): nftables rules on IP
// cannot work in the guest; tc filters (cls_u32/cls_flower + act_gact) or legacy iptables
// (ip_tables modules exist) can.
TEST_F(VmNetem, ModulesLoadOnDemand) {
    const std::string script =
        "set -e\n"
        "ip link add tlvm-ifb type ifb\n"
        "ip link add tlvm-d0 type dummy\n"
        "tc qdisc add dev tlvm-d0 ingress\n"
        "tc qdisc add dev tlvm-d0 root tbf rate 1mbit burst 10kb latency 50ms\n"
        "nft add table bridge tlvm\n"
        "nft list tables\n"
        "cut -d' ' -f1 /proc/modules | sort | tr '\\n' ' '\n";
    const ProcessRun run = run_tcplab({"vm", "run", "--", "sh", "-c", script});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_THAT(run.out, HasSubstr("table bridge tlvm"));
    for (const char* module :
         {"ifb", "dummy", "sch_ingress", "sch_tbf", "nf_tables", "sch_netem", "veth", "ipv6"}) {
        EXPECT_THAT(run.out, HasSubstr(std::string(module) + " ")) << module;
    }
}

}  // namespace
}  // namespace tcplab::vmtest
