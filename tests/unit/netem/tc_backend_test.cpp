// The tc backend's translation of the impairment model into tc/nft argv lists, and the parsing of
// `tc -s -j qdisc show` / `nft -j list table` (JSON captured from iproute2 6.1 / nftables 1.0.6).
#include "netem/impair/tc_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "base/errors.hpp"
#include "base/nft_hint.hpp"
#include "netem/impair/iptables_schedule.hpp"

using namespace tcplab::netem;

namespace {

const std::string kNs = "tl7-rtr";

// The netem options after `... root netem`, as one string, for readable expectations.
std::string options_of(const DirectionImpairment& d, TcFeatures f = {},
                       std::vector<std::string>* notes = nullptr) {
    const tcplab::Argv argv = netem_qdisc_argv(kNs, "veth-rs", d, 42, f, notes);
    EXPECT_GE(argv.size(), 9U);
    EXPECT_EQ(
        (tcplab::Argv{argv.begin(), argv.begin() + 9}),
        (tcplab::Argv{"tc", "-n", kNs, "qdisc", "replace", "dev", "veth-rs", "root", "netem"}));
    std::string out;
    for (std::size_t i = 9; i < argv.size(); ++i) out += (out.empty() ? "" : " ") + argv[i];
    return out;
}

std::string limit_words(const DirectionImpairment& d) {
    return "limit " + std::to_string(netem_limit_for(d));
}

}  // namespace

TEST(TcTranslate, IdentityIsAPlainNetemWithDefaultSizedLimit) {
    DirectionImpairment d;
    EXPECT_EQ(netem_limit_for(d), kNetemDefaultLimit);
    EXPECT_EQ(options_of(d), "limit 1000");
}

TEST(TcTranslate, EveryParameter) {
    DirectionImpairment loss;
    loss.loss_percent = 10;
    loss.loss_correlation = 25;
    EXPECT_EQ(options_of(loss), "limit 1000 loss random 10% 25%");

    DirectionImpairment ge;
    ge.loss_gemodel = GilbertElliott{1, 10, 70, 0.1};
    EXPECT_EQ(options_of(ge), "limit 1000 loss gemodel 1% 10% 70% 0.1%");

    DirectionImpairment delay;
    delay.delay_ms = 100;
    delay.jitter_ms = 10;
    delay.delay_correlation = 25;
    delay.distribution = DelayDistribution::paretonormal;
    EXPECT_EQ(options_of(delay),
              limit_words(delay) + " delay 100ms 10ms 25% distribution paretonormal");

    DirectionImpairment reorder;
    reorder.delay_ms = 10;
    reorder.reorder_percent = 25;
    reorder.reorder_correlation = 50;
    reorder.reorder_gap = 5;
    EXPECT_EQ(options_of(reorder), limit_words(reorder) + " delay 10ms reorder 25% 50% gap 5");

    DirectionImpairment dup;
    dup.duplicate_percent = 1;
    dup.corrupt_percent = 0.5;
    EXPECT_EQ(options_of(dup), "limit 1000 duplicate 1% corrupt 0.5%");

    DirectionImpairment rate;
    rate.rate_bps = 10'000'000;
    EXPECT_EQ(options_of(rate), limit_words(rate) + " rate 10000000bit");
}

TEST(TcTranslate, LimitCoversEverythingHeldDuringDelayAndJitter) {
    DirectionImpairment d;
    d.delay_ms = 100;
    // 10 Gbit/s of 64-byte frames for 100 ms = 1953125 packets, plus netem's default headroom.
    EXPECT_EQ(netem_limit_for(d), 1953125U + kNetemDefaultLimit);
    d.jitter_ms = 10;  // the tail of the distribution: delay + 4 x jitter
    EXPECT_EQ(netem_limit_for(d), 2734375U + kNetemDefaultLimit);
    DirectionImpairment r;
    r.rate_bps = 1'000'000;  // a rate builds a backlog even without delay
    EXPECT_EQ(netem_limit_for(r), kNetemDefaultLimit + kRateBacklogPackets);
    DirectionImpairment huge;
    huge.delay_ms = 100000;
    EXPECT_EQ(netem_limit_for(huge), kMaxLimit);
}

TEST(TcTranslate, ExplicitSmallLimitIsHonouredWithANote) {
    DirectionImpairment d;
    d.delay_ms = 50;
    d.limit_packets = 100;
    std::vector<std::string> notes;
    EXPECT_EQ(options_of(d, {}, &notes), "limit 100 delay 50ms");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_NE(notes[0].find("may drop on its own"), std::string::npos);
}

TEST(TcTranslate, SeedOnlyWhereSupportedOtherwiseANote) {
    DirectionImpairment d;
    d.loss_percent = 5;
    std::vector<std::string> notes;
    EXPECT_EQ(options_of(d, TcFeatures{true}, &notes), "limit 1000 loss random 5% seed 42");
    EXPECT_TRUE(notes.empty());
    EXPECT_EQ(options_of(d, TcFeatures{false}, &notes), "limit 1000 loss random 5%");
    ASSERT_EQ(notes.size(), 1U);
    EXPECT_NE(notes[0].find("seed"), std::string::npos);
    // Nothing random (fixed delay only): no note needed.
    DirectionImpairment fixed;
    fixed.delay_ms = 20;
    notes.clear();
    options_of(fixed, TcFeatures{false}, &notes);
    EXPECT_TRUE(notes.empty());
}

TEST(TcTranslate, DirectionsUseTheRouterEgressTowardTheReceiver) {
    EXPECT_EQ(egress_interface(Direction::client_to_server), "veth-rs");
    EXPECT_EQ(egress_interface(Direction::server_to_client), "veth-rc");
    Impairment imp;
    imp.client_to_server.loss_percent = 3;
    TcBackend backend(7, imp, {}, nullptr);
    const auto cmds = backend.commands();
    ASSERT_EQ(cmds.size(), 2U);
    EXPECT_EQ(cmds[0][6], "veth-rs");
    EXPECT_EQ(cmds[0].back(), "3%");
    EXPECT_EQ(cmds[1][6], "veth-rc");
    EXPECT_EQ(cmds[1].back(), "1000");
}

TEST(TcTranslate, InvalidModelsAreRefusedBeforeAnythingRuns) {
    Impairment reorder_without_delay;
    reorder_without_delay.server_to_client.reorder_percent = 10;
    try {
        TcBackend backend(7, reorder_without_delay);
        FAIL() << "accepted reorder without delay";
    } catch (const tcplab::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("--s2c.reorder"), std::string::npos) << e.what();
    }
    Impairment segment;
    segment.client_to_server.schedule.drop_data_segments = {3};
    EXPECT_THROW(TcBackend(7, segment), tcplab::UsageError);
    Impairment window;
    window.server_to_client.schedule.drop_windows = {{0, 100}};
    try {
        nft_schedule_commands(kNs, window);
        FAIL();
    } catch (const tcplab::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("--s2c.drop-window"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("userspace"), std::string::npos);
    }
}

TEST(TcSchedule, FirstKSynsBecomeACountingChain) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_syns = 2;
    const auto cmds = nft_schedule_commands(kNs, imp);
    const tcplab::Argv prefix = {"ip", "netns", "exec", kNs, "nft"};
    auto words = [&](std::initializer_list<std::string> rest) {
        tcplab::Argv a = prefix;
        a.insert(a.end(), rest);
        return a;
    };
    const std::vector<tcplab::Argv> expected = {
        words({"add", "table", "inet", "tcplab"}),
        words({"add", "chain", "inet", "tcplab", "forward", "{", "type", "filter", "hook",
               "forward", "priority", "0", ";", "policy", "accept", ";", "}"}),
        words({"add", "chain", "inet", "tcplab", "c2s_syn"}),
        words({"add", "rule", "inet", "tcplab", "c2s_syn", "numgen", "inc", "mod", "1000000000",
               "lt", "2", "counter", "drop"}),
        words({"add", "rule", "inet", "tcplab", "forward", "iifname", "veth-rc", "oifname",
               "veth-rs", "meta", "l4proto", "tcp", "tcp", "flags", "syn", "/", "fin,syn,rst,ack",
               "jump", "c2s_syn"}),
    };
    EXPECT_EQ(cmds, expected);
}

TEST(TcSchedule, SynAckFinAndPureAckPerDirection) {
    Impairment imp;
    imp.server_to_client.schedule.drop_first_synacks = 1;
    imp.client_to_server.schedule.drop_first_fins = 1;
    imp.client_to_server.schedule.drop_first_pure_acks = 3;
    const auto cmds = nft_schedule_commands(kNs, imp);
    auto has = [&](const std::string& needle) {
        for (const auto& c : cmds) {
            if (tcplab::format_command(c).find(needle) != std::string::npos) return true;
        }
        return false;
    };
    EXPECT_TRUE(
        has("iifname veth-rs oifname veth-rc meta l4proto tcp tcp flags syn,ack / fin,syn,rst,ack "
            "jump s2c_synack"));
    EXPECT_TRUE(has("meta l4proto tcp tcp flags '&' fin == fin jump c2s_fin"));
    EXPECT_TRUE(has("c2s_pure_ack numgen inc mod 1000000000 lt 3 counter drop"));
    EXPECT_TRUE(has(
        "meta nfproto ipv4 ip hdrlength 5 ip length 52 tcp doff 8 tcp flags ack / fin,syn,rst,ack "
        "jump c2s_pure_ack"));
    EXPECT_TRUE(has("meta nfproto ipv6 ip6 nexthdr tcp ip6 length 32 tcp doff 8 tcp flags ack"));
    EXPECT_TRUE(nft_schedule_commands(kNs, Impairment{}).empty());
}

TEST(TcStats, ParsesNetemCountersFromTcJson) {
    // tc -s -j qdisc show dev veth-rs (iproute2 6.1 layout; options trimmed to what we read)
    const std::string json = R"([{"kind":"netem","handle":"8001:","root":true,"refcnt":2,
        "options":{"limit":1000,"loss-random":{"loss":0.1,"correlation":0},"ecn":false,"gap":0},
        "bytes":1234567,"packets":2000,"drops":613,"overlimits":0,"requeues":2,"backlog":0,"qlen":0}])";
    const auto c = parse_netem_stats(json);
    EXPECT_TRUE(c.present);
    EXPECT_EQ(c.sent_packets, 2000U);
    EXPECT_EQ(c.sent_bytes, 1234567U);
    EXPECT_EQ(c.drops, 613U);
    EXPECT_EQ(c.requeues, 2U);
    EXPECT_EQ(c.limit, 1000U);
    EXPECT_FALSE(c.seed.has_value());
    EXPECT_FALSE(
        parse_netem_stats(R"([{"kind":"noqueue","handle":"0:","root":true,"bytes":0}])").present);
    EXPECT_THROW(parse_netem_stats("not json"), tcplab::SystemError);
}

TEST(TcStats, ParsesScheduleCountersFromNftJson) {
    const std::string json = R"({"nftables": [{"metainfo": {"version": "1.0.6"}},
      {"table": {"family": "inet", "name": "tcplab", "handle": 1}},
      {"rule": {"family": "inet", "table": "tcplab", "chain": "c2s_syn", "handle": 2, "expr": [
        {"match": {"op": "<", "left": {"numgen": {"mode": "inc", "mod": 1000000000, "offset": 0}}, "right": 2}},
        {"counter": {"packets": 2, "bytes": 120}}, {"drop": null}]}},
      {"rule": {"family": "inet", "table": "tcplab", "chain": "forward", "handle": 4, "expr": [
        {"jump": {"target": "c2s_syn"}}]}}]})";
    const auto counters = parse_schedule_counters(json);
    ASSERT_EQ(counters.size(), 1U);
    EXPECT_EQ(counters[0].first, "c2s_syn");
    EXPECT_EQ(counters[0].second, 2U);
}

TEST(TcBackendDryRun, ApplyRunsExactlyTheCommandsAndReadStatsAttributesDrops) {
    Impairment imp;
    imp.client_to_server.loss_percent = 10;
    imp.server_to_client.delay_ms = 5;
    tcplab::DryRunRunner runner;
    TcBackend backend(9, imp, {}, &runner);
    backend.apply();
    EXPECT_EQ(runner.commands(), backend.commands());
    const auto stats = backend.read_stats();
    EXPECT_FALSE(stats.client_to_server.queue_drops_separable);  // loss shares netem's counter
    EXPECT_TRUE(stats.server_to_client.queue_drops_separable);
}

namespace {

// Answers every command with success except nft's `add table`, which fails the way nft 1.0.6
// reports a kernel whose nf_tables lacks the family (Debian's user-mode-linux 6.1 guest), and,
// when `iptables_too`, every iptables-legacy call (a kernel without ip_tables). Records each argv.
class NoInetFamilyRunner final : public tcplab::CommandRunner {
public:
    explicit NoInetFamilyRunner(bool iptables_too = false) : iptables_too_(iptables_too) {}
    tcplab::CommandResult run(const tcplab::Argv& argv, bool check) override {
        commands.push_back(argv);
        const auto has = [&](const char* word) {
            return std::find(argv.begin(), argv.end(), word) != argv.end();
        };
        tcplab::CommandResult r;
        if (has("qdisc") && has("show")) {
            r.out = R"([{"kind":"netem","handle":"8001:","root":true,"packets":0,"drops":0}])";
        } else if (has("nft") && has("table")) {
            r = {1, "",
                 "Error: Could not process rule: Operation not supported\n"
                 "add table inet tcplab\n^^^^^^^^^^^^^^^^^^^^^^\n"};
        } else if (iptables_too_ && (has("iptables-legacy") || has("ip6tables-legacy"))) {
            r = {3, "",
                 "iptables v1.8.9 (legacy): can't initialize iptables table `filter': Table does "
                 "not exist (do you need to insmod?)\n"};
        }
        if (r.exit_code != 0 && check) {
            throw tcplab::SystemError(tcplab::describe_failure(argv, r));
        }
        return r;
    }
    std::vector<tcplab::Argv> commands;

private:
    bool iptables_too_;
};

std::vector<std::string> formatted(const std::vector<tcplab::Argv>& cmds) {
    std::vector<std::string> out;
    for (const auto& c : cmds) out.push_back(tcplab::format_command(c));
    return out;
}

}  // namespace

TEST(NftHint, NamesTheMissingFamilyOnlyForAnUnsupportedOperation) {
    const tcplab::Argv add_inet = {"ip", "netns", "exec", kNs, "nft", "add", "table", "inet", "t"};
    const tcplab::CommandResult unsupported{1, "", "Error: Operation not supported\n"};
    EXPECT_THAT(tcplab::nft_unsupported_family_hint(add_inet, unsupported),
                ::testing::HasSubstr("no 'inet' family (built without CONFIG_NF_TABLES_INET"));
    EXPECT_THAT(
        tcplab::nft_unsupported_family_hint({"nft", "add", "chain", "ip6", "t", "c"}, unsupported),
        ::testing::HasSubstr("CONFIG_NF_TABLES_IPV6"));
    // Other failures, and families this cannot be about, get no hint.
    EXPECT_EQ(tcplab::nft_unsupported_family_hint(
                  add_inet, {1, "", "Error: Could not process rule: Operation not permitted\n"}),
              "");
    EXPECT_EQ(tcplab::nft_unsupported_family_hint(add_inet, {0, "", ""}), "");
    EXPECT_EQ(
        tcplab::nft_unsupported_family_hint({"nft", "add", "table", "bridge", "t"}, unsupported),
        "");
    EXPECT_EQ(tcplab::nft_unsupported_family_hint({"tc", "qdisc", "add"}, unsupported), "");
}

TEST(TcBackendApply, WithoutTheInetFamilyTheSchedulesBecomeIptablesLegacyRules) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_syns = 1;
    NoInetFamilyRunner runner;
    TcBackend backend(7, imp, {}, &runner);
    EXPECT_EQ(backend.schedule_mechanism(), ScheduleMechanism::nftables);
    backend.apply();
    EXPECT_EQ(backend.schedule_mechanism(), ScheduleMechanism::iptables_legacy);
    EXPECT_EQ(to_string(backend.schedule_mechanism()), "iptables-legacy");
    // Ran: both qdiscs, the failed nft probe, then exactly the iptables form (nothing else of
    // nft's), then the `tc qdisc show` checks. commands() now names what was installed.
    const auto ran = formatted(runner.commands);
    ASSERT_GE(ran.size(), 3U);
    EXPECT_EQ(ran[2], "ip netns exec tl7-rtr nft add table inet tcplab");
    const auto ipt = formatted(iptables_schedule_commands("tl7-rtr", imp));
    EXPECT_EQ(std::vector<std::string>(ran.begin() + 3, ran.begin() + 3 + ipt.size()), ipt);
    EXPECT_EQ(std::count_if(ran.begin(), ran.end(),
                            [](const std::string& l) { return l.find(" nft ") != l.npos; }),
              1);
    const auto listed = formatted(backend.commands());
    EXPECT_EQ(std::vector<std::string>(listed.begin() + 2, listed.end()), ipt);
    ASSERT_EQ(backend.notes().size(), 1U);
    EXPECT_THAT(backend.notes()[0], ::testing::HasSubstr("iptables-legacy"));
    EXPECT_THAT(backend.notes()[0], ::testing::HasSubstr("Operation not supported"));
    // The counters come from iptables-save of both families.
    runner.commands.clear();
    (void)backend.read_stats();
    const auto read = formatted(runner.commands);
    EXPECT_EQ(read[0], "ip netns exec tl7-rtr iptables-legacy-save -c -t filter");
    EXPECT_EQ(read[1], "ip netns exec tl7-rtr ip6tables-legacy-save -c -t filter");
}

TEST(TcBackendApply, NeitherNftablesNorIptablesIsAnEnvironmentErrorQuotingBoth) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_syns = 1;
    NoInetFamilyRunner runner(/*iptables_too=*/true);
    TcBackend backend(7, imp, {}, &runner);
    try {
        backend.apply();
        FAIL() << "apply() succeeded although neither nft nor iptables-legacy worked";
    } catch (const tcplab::EnvironmentError& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("nft add table inet tcplab"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("CONFIG_NF_TABLES_INET"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("iptables-legacy -w -N tcplab_c2s_syn"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("Table does not exist"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("--backend userspace"));
    }
}

TEST(TcBackendApply, WithoutAScheduleNeitherNftNorIptablesRuns) {
    Impairment imp;
    imp.client_to_server.delay_ms = 100;
    NoInetFamilyRunner runner(/*iptables_too=*/true);
    TcBackend backend(7, imp, {}, &runner);
    backend.apply();
    for (const auto& l : formatted(runner.commands)) {
        EXPECT_EQ(l.find("nft"), std::string::npos) << l;
        EXPECT_EQ(l.find("iptables"), std::string::npos) << l;
    }
}

TEST(IptablesSchedule, FirstKSynsAreKSpentOnceNthRules) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_syns = 2;
    const std::string v4 = "ip netns exec tl7-rtr iptables-legacy -w ";
    const std::string v6 = "ip netns exec tl7-rtr ip6tables-legacy -w ";
    const std::string nth = " -m statistic --mode nth --every 1000000000 --packet 0 -j DROP";
    const std::vector<std::string> expected = {
        v4 + "-N tcplab_c2s_syn",
        v4 + "-A tcplab_c2s_syn" + nth,
        v4 + "-A tcplab_c2s_syn" + nth,
        v6 + "-N tcplab_c2s_syn",
        v6 + "-A tcplab_c2s_syn" + nth,
        v6 + "-A tcplab_c2s_syn" + nth,
        v4 + "-A FORWARD -i veth-rc -o veth-rs -p tcp --tcp-flags FIN,SYN,RST,ACK SYN -j "
             "tcplab_c2s_syn",
        v6 + "-A FORWARD -i veth-rc -o veth-rs -p tcp --tcp-flags FIN,SYN,RST,ACK SYN -j "
             "tcplab_c2s_syn",
    };
    EXPECT_EQ(formatted(iptables_schedule_commands("tl7-rtr", imp)), expected);
    EXPECT_TRUE(iptables_schedule_commands("tl7-rtr", Impairment{}).empty());
}

TEST(IptablesSchedule, SynAckFinAndPureAckMirrorTheNftMatches) {
    Impairment imp;
    imp.server_to_client.schedule.drop_first_synacks = 1;
    imp.client_to_server.schedule.drop_first_fins = 1;
    imp.server_to_client.schedule.drop_first_pure_acks = 4;
    const auto cmds = formatted(iptables_schedule_commands("tl7-rtr", imp));
    auto count = [&](const std::string& needle) {
        return std::count_if(cmds.begin(), cmds.end(), [&](const std::string& l) {
            return l.find(needle) != std::string::npos;
        });
    };
    EXPECT_EQ(count("tables-legacy -w -A FORWARD -i veth-rs -o veth-rc -p tcp --tcp-flags "
                    "FIN,SYN,RST,ACK SYN,ACK -j tcplab_s2c_synack"),
              2);  // iptables and ip6tables
    EXPECT_EQ(count("-A FORWARD -i veth-rc -o veth-rs -p tcp --tcp-flags FIN FIN -j "
                    "tcplab_c2s_fin"),
              2);
    EXPECT_EQ(count("-A tcplab_s2c_pure_ack -m statistic"), 8);  // K = 4, both families
    // One rule per TCP header length per family: IPv4 ihl 5, total length 20 + 4 x doff...
    EXPECT_EQ(count("--tcp-flags FIN,SYN,RST,ACK ACK -m u32 --u32 "
                    "'0>>24=0x45&&0&0xFFFF=52&&32>>28=8' -j tcplab_s2c_pure_ack"),
              1);
    // ...IPv6 with TCP as the first next header and payload length 4 x doff.
    EXPECT_EQ(count("ip6tables-legacy -w -A FORWARD -i veth-rs -o veth-rc -p tcp --tcp-flags "
                    "FIN,SYN,RST,ACK ACK -m u32 --u32 '4>>16=32&&4>>8&0xFF=6&&52>>28=8' -j "
                    "tcplab_s2c_pure_ack"),
              1);
    EXPECT_EQ(count("-j tcplab_s2c_pure_ack"), 22);  // doff 5..15, two families
    // Every chain exists before the first jump to it.
    const auto first_jump = std::find_if(cmds.begin(), cmds.end(), [](const std::string& l) {
        return l.find("-A FORWARD") != std::string::npos;
    });
    EXPECT_EQ(std::count_if(first_jump, cmds.end(),
                            [](const std::string& l) { return l.find(" -N ") != l.npos; }),
              0);
}

TEST(IptablesSchedule, RefusesWhatNftRefusesAndAKAboveTheRuleLimit) {
    Impairment segment;
    segment.client_to_server.schedule.drop_data_segments = {3};
    EXPECT_THROW(iptables_schedule_commands(kNs, segment), tcplab::UsageError);
    Impairment many;
    many.server_to_client.schedule.drop_first_pure_acks = kMaxIptablesScheduleCount + 1;
    try {
        iptables_schedule_commands(kNs, many);
        FAIL();
    } catch (const tcplab::UsageError& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("--s2c.drop-pure-ack 1001"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("--backend userspace"));
    }
    many.server_to_client.schedule.drop_first_pure_acks = kMaxIptablesScheduleCount;
    EXPECT_NO_THROW(iptables_schedule_commands(kNs, many));
}

TEST(IptablesSchedule, CountersComeFromTheDropRulesOfTheScheduleChainsOnly) {
    // ip netns exec tl7-rtr iptables-legacy-save -c -t filter (iptables 1.8.9), after synloss
    const std::string save = R"(# Generated by iptables-save v1.8.9 on Fri Dec  4 22:10:00 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [41:2893]
:OUTPUT ACCEPT [0:0]
:tcplab_c2s_syn - [0:0]
[1:60] -A FORWARD -i veth-rc -o veth-rs -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j tcplab_c2s_syn
[1:60] -A tcplab_c2s_syn -m statistic --mode nth --every 1000000000 --packet 0 -j DROP
[0:0] -A tcplab_c2s_syn -m statistic --mode nth --every 1000000000 --packet 0 -j DROP
COMMIT
# Completed on Fri Dec  4 22:10:00 2026
)";
    const auto counters = parse_iptables_schedule_counters(save);
    ASSERT_EQ(counters.size(), 2U);
    EXPECT_EQ(counters[0], (std::pair<std::string, std::uint64_t>{"c2s_syn", 1}));
    EXPECT_EQ(counters[1], (std::pair<std::string, std::uint64_t>{"c2s_syn", 0}));
    EXPECT_TRUE(parse_iptables_schedule_counters("").empty());
    EXPECT_THROW(parse_iptables_schedule_counters("[x:1] -A tcplab_c2s_syn -j DROP\n"),
                 tcplab::SystemError);
}
