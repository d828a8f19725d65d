// The pieces that talk to external tools: nft commands of the RST guard (as argv, no shell) and
// the parsing of `ip -j` output, checked against the real `ip` of this machine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "base/command.hpp"
#include "base/errors.hpp"
#include "generator/detail/link_resolver.hpp"
#include "generator/detail/rst_suppressor.hpp"
#include "generator/detail/transcript.hpp"

namespace tcplab::gen {
namespace {

TEST(RstSuppressor, OwnTablePerProcessAndPort) {
    EXPECT_EQ(RstSuppressor::table_name(1234, 40000), "tcplab_gen_1234_40000");
    const auto commands = RstSuppressor::install_commands("t", 40000);
    ASSERT_EQ(commands.size(), 3u);
    EXPECT_EQ(commands[0], (Argv{"nft", "add", "table", "inet", "t"}));
    EXPECT_EQ(commands[1], (Argv{"nft", "add", "chain", "inet", "t", "out",
                                 "{ type filter hook output priority 0 ; policy accept ; }"}));
    // Only RSTs from the crafted port, and never the generator's own (marked) packets.
    EXPECT_EQ(commands[2], (Argv{"nft",   "add", "rule",   "inet", "t",     "out",   "meta",
                                 "mark",  "!=",  "0x7c0d", "tcp",  "sport", "40000", "tcp",
                                 "flags", "&",   "rst",    "==",   "rst",   "drop"}));
    EXPECT_EQ(RstSuppressor::remove_command("t"), (Argv{"nft", "delete", "table", "inet", "t"}));
}

// The iptables-legacy form of the same rule, for kernels whose nf_tables has no inet family.
TEST(RstSuppressor, IptablesFormIsTheSameRuleInBothFamilies) {
    const auto install = RstSuppressor::iptables_install_commands("tcplab_gen_1_40000", 40000);
    const std::vector<Argv> expected_v4 = {
        {"iptables-legacy", "-w", "-N", "tcplab_gen_1_40000"},
        {"iptables-legacy", "-w", "-A", "tcplab_gen_1_40000", "-p", "tcp", "--sport", "40000",
         "--tcp-flags", "RST", "RST", "-m", "mark", "!", "--mark", "0x7c0d", "-j", "DROP"},
        {"iptables-legacy", "-w", "-I", "OUTPUT", "-j", "tcplab_gen_1_40000"},
    };
    ASSERT_EQ(install.size(), 6u);
    EXPECT_EQ(std::vector<Argv>(install.begin(), install.begin() + 3), expected_v4);
    for (std::size_t i = 0; i < 3; ++i) {
        Argv v6 = expected_v4[i];
        v6[0] = "ip6tables-legacy";
        EXPECT_EQ(install[3 + i], v6);
    }
    EXPECT_EQ(RstSuppressor::iptables_remove_commands("c")[0],
              (Argv{"iptables-legacy", "-w", "-D", "OUTPUT", "-j", "c"}));
    EXPECT_EQ(RstSuppressor::iptables_remove_commands("c").size(), 6u);
    // The longest name a pid (<= 4194304) and port make still fits xtables' 28 characters.
    EXPECT_LE(RstSuppressor::table_name(4194304, 65535).size(), 28u);
}

// Fails nft's `add table` as a kernel without the inet family does; optionally every iptables
// call too. Records each argv.
class FakeRunner final : public CommandRunner {
public:
    explicit FakeRunner(bool iptables_fails) : iptables_fails_(iptables_fails) {}
    CommandResult run(const Argv& argv, bool) override {
        commands.push_back(format_command(argv));
        if (argv[0] == "nft" && argv[1] == "add" && argv[2] == "table") {
            return {1, "", "Error: Could not process rule: Operation not supported\n"};
        }
        if (iptables_fails_ && argv[0].find("iptables") != std::string::npos) {
            return {3, "", "iptables v1.8.9 (legacy): can't initialize iptables table `filter'\n"};
        }
        return {};
    }
    std::vector<std::string> commands;

private:
    bool iptables_fails_;
};

bool ran(const FakeRunner& r, const std::string& line) {
    return std::find(r.commands.begin(), r.commands.end(), line) != r.commands.end();
}

TEST(RstSuppressor, FallsBackToIptablesLegacyAndRemovesItsChain) {
    FakeRunner runner(/*iptables_fails=*/false);
    const std::string chain = RstSuppressor::table_name(static_cast<int>(::getpid()), 40001);
    {
        RstSuppressor guard(40001, &runner);
        EXPECT_EQ(guard.mechanism(), RstSuppressor::Mechanism::iptables_legacy);
        EXPECT_TRUE(ran(runner, "iptables-legacy -w -I OUTPUT -j " + chain));
        EXPECT_TRUE(ran(runner, "ip6tables-legacy -w -I OUTPUT -j " + chain));
        runner.commands.clear();
    }
    EXPECT_EQ(runner.commands.size(), 6u);  // the destructor: -D, -F, -X in both families
    EXPECT_TRUE(ran(runner, "iptables-legacy -w -X " + chain));
    EXPECT_TRUE(ran(runner, "ip6tables-legacy -w -D OUTPUT -j " + chain));
}

TEST(RstSuppressor, NeitherMechanismIsAnEnvironmentErrorQuotingBoth) {
    FakeRunner runner(/*iptables_fails=*/true);
    try {
        RstSuppressor guard(40002, &runner);
        FAIL() << "installed although nft and iptables-legacy both failed";
    } catch (const EnvironmentError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("CONFIG_NF_TABLES_INET"), std::string::npos) << what;
        EXPECT_NE(what.find("iptables-legacy -w -N tcplab_gen_"), std::string::npos) << what;
        EXPECT_NE(what.find("can't initialize"), std::string::npos) << what;
    }
}

// The generator runs ip and nft through the shared SystemRunner, unchecked: it reads exit codes.
TEST(RunCommand, CapturesOutputAndExitCode) {
    SystemRunner runner;
    const auto ok = runner.run({"sh", "-c", "echo hello; echo oops >&2; exit 3"}, /*check=*/false);
    EXPECT_EQ(ok.exit_code, 3);
    EXPECT_EQ(ok.out, "hello\n");
    EXPECT_EQ(ok.err, "oops\n");
    EXPECT_THROW((void)runner.run({"/nonexistent/tool"}, /*check=*/false), EnvironmentError);
}

TEST(LinkResolver, ParsesTheRealIpRouteGetOutput) {
    const auto out = SystemRunner().run({"ip", "-j", "route", "get", "127.0.0.1"}, false);
    ASSERT_EQ(out.exit_code, 0) << out.err;
    const auto route = parse_route_json(out.out);
    EXPECT_EQ(route.dev, "lo");
    EXPECT_EQ(route.prefsrc, "127.0.0.1");
    EXPECT_TRUE(route.gateway.empty());
    EXPECT_THROW((void)parse_route_json("not json"), UsageError);
}

TEST(LinkResolver, ParsesNeighbourEntries) {
    const std::string json =
        R"([{"dst":"198.18.7.2","dev":"veth0","lladdr":"02:00:5e:10:00:02","state":["REACHABLE"]},)"
        R"({"dst":"198.18.7.9","dev":"veth0","state":["FAILED"]}])";
    const auto mac = parse_neigh_json(json, "198.18.7.2");
    ASSERT_TRUE(mac.has_value());
    EXPECT_EQ((*mac)[0], 0x02);
    EXPECT_EQ((*mac)[5], 0x02);
    EXPECT_FALSE(parse_neigh_json(json, "198.18.7.9").has_value());
    EXPECT_FALSE(parse_neigh_json(json, "198.18.7.3").has_value());
    EXPECT_FALSE(packet::parse_mac("02:00").has_value());
}

TEST(Transcript, RelativeNumbersAndRetransmissionMark) {
    RelativeBase base;
    base.local_isn = packet::SeqNum(1000);
    base.peer_isn = packet::SeqNum(0xfffffff0);  // the peer's numbers wrap: still relative 1
    base.peer_isn_known = true;
    packet::TcpHeader data;
    data.src_port = 40000;
    data.dst_port = 80;
    data.seq = packet::SeqNum(1001);
    data.ack = packet::SeqNum(0xfffffff1);
    data.flags = packet::tcp_flag::kAck | packet::tcp_flag::kPsh;
    const auto line = format_segment(data, 100, Direction::sent, base, 64240, true);
    EXPECT_EQ(
        line.rfind("[TCP Retransmission] 40000 → 80 [PSH, ACK] Seq=1 Ack=1 Win=64240 Len=100", 0),
        0u)
        << line;
    packet::TcpHeader rst;  // a RST to our SYN, before any peer ISN is known: Wireshark says Seq=1
    rst.src_port = 80;
    rst.dst_port = 40000;
    rst.seq = packet::SeqNum(0);
    rst.ack = packet::SeqNum(1001);
    rst.flags = packet::tcp_flag::kRst | packet::tcp_flag::kAck;
    RelativeBase unknown;
    unknown.local_isn = packet::SeqNum(1000);
    const auto rst_line = format_segment(rst, 0, Direction::received, unknown, 0, false);
    EXPECT_EQ(rst_line.rfind("80 → 40000 [RST, ACK] Seq=1 Ack=1 Win=0 Len=0", 0), 0u) << rst_line;
    Transcript transcript;
    const auto t0 = std::chrono::steady_clock::now();
    transcript.add(t0, Direction::sent, "a", false);
    transcript.add(t0 + std::chrono::milliseconds(1500), Direction::received, "b", false);
    const auto lines = transcript.lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "0.000000 >  a");
    EXPECT_EQ(lines[1], "1.500000 <  b");
}

}  // namespace
}  // namespace tcplab::gen
