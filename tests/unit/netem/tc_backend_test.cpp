// The tc backend's translation of the impairment model into tc/nft argv lists, and the parsing of
// `tc -s -j qdisc show` / `nft -j list table` (JSON captured from iproute2 6.1 / nftables 1.0.6).
#include "netem/impair/tc_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "base/errors.hpp"
#include "base/nft_hint.hpp"

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
// reports a kernel whose nf_tables lacks the family (Debian's user-mode-linux 6.1 guest).
class NoInetFamilyRunner final : public tcplab::CommandRunner {
public:
    tcplab::CommandResult run(const tcplab::Argv& argv, bool check) override {
        const bool add_table = std::find(argv.begin(), argv.end(), "table") != argv.end() &&
                               std::find(argv.begin(), argv.end(), "nft") != argv.end();
        if (!add_table) {
            return {};
        }
        tcplab::CommandResult r{1, "",
                                "Error: Could not process rule: Operation not supported\n"
                                "add table inet tcplab\n^^^^^^^^^^^^^^^^^^^^^^\n"};
        if (check) {
            throw tcplab::SystemError(tcplab::describe_failure(argv, r));
        }
        return r;
    }
};

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

TEST(TcBackendApply, AKernelWithoutTheInetFamilyIsAnEnvironmentErrorSayingSo) {
    Impairment imp;
    imp.client_to_server.schedule.drop_first_syns = 1;
    NoInetFamilyRunner runner;
    TcBackend backend(7, imp, {}, &runner);
    try {
        backend.apply();
        FAIL() << "apply() succeeded although nft could not add the table";
    } catch (const tcplab::EnvironmentError& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("nft add table inet tcplab"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("CONFIG_NF_TABLES_INET"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("--backend userspace"));
    }
}
