#include "netem/impair/tc_backend.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/errors.hpp"
#include "base/nft_hint.hpp"
#include "netem/impair/impairment_options.hpp"
#include "netem/impair/iptables_schedule.hpp"
#include "netem/lab/topology_names.hpp"

namespace tcplab::netem {

namespace {

std::string shortest_decimal(double v) {
    std::array<char, 64> buf{};
    auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return ec == std::errc{} ? std::string(buf.data(), ptr) : std::to_string(v);
}

std::string pct(double v) { return shortest_decimal(v) + "%"; }
std::string ms(double v) { return shortest_decimal(v) + "ms"; }

constexpr const char* kTable = "tcplab";

struct ScheduleKind {
    const char* name;   // chain suffix
    const char* flags;  // nft `tcp flags VALUE / MASK`
    const char* mask;
    std::uint32_t FaultSchedule::*count;
};

// A FIN is any segment with FIN set (it normally carries ACK too); the others are exact.
constexpr std::array kScheduleKinds = {
    ScheduleKind{"syn", "syn", "fin,syn,rst,ack", &FaultSchedule::drop_first_syns},
    ScheduleKind{"synack", "syn,ack", "fin,syn,rst,ack", &FaultSchedule::drop_first_synacks},
    ScheduleKind{"fin", "fin", "fin", &FaultSchedule::drop_first_fins},
    ScheduleKind{"pure_ack", "ack", "fin,syn,rst,ack", &FaultSchedule::drop_first_pure_acks},
};

Argv nft(const std::string& ns, std::initializer_list<std::string> words) {
    Argv argv = {"ip", "netns", "exec", ns, "nft"};
    argv.insert(argv.end(), words);
    return argv;
}

std::uint64_t get_u64(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>()
           : it != j.end() && it->is_number_integer()
               ? static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->get<std::int64_t>()))
               : 0;
}

}  // namespace

const std::string& egress_interface(Direction d) {
    return d == Direction::client_to_server ? kRouterServerInterface : kRouterClientInterface;
}

std::uint32_t netem_limit_for(const DirectionImpairment& d) {
    // Integer arithmetic in microseconds, so 140 ms at 10 Gbit/s is exactly 2734375 frames.
    const auto hold_us =
        static_cast<std::uint64_t>(std::llround((d.delay_ms + 4 * d.jitter_ms) * 1000));
    const std::uint64_t bits_per_frame_us = 8ULL * kMinFrameBytes * 1'000'000ULL;
    std::uint64_t limit =
        (kAssumedLineRateBps * hold_us + bits_per_frame_us - 1) / bits_per_frame_us +
        kNetemDefaultLimit;
    if (d.rate_bps != 0) {
        limit += kRateBacklogPackets;
    }
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(limit, kMaxLimit));
}

Argv netem_qdisc_argv(const std::string& router_netns, const std::string& device,
                      const DirectionImpairment& d, std::uint64_t seed, const TcFeatures& features,
                      std::vector<std::string>* notes) {
    const std::uint32_t needed = netem_limit_for(d);
    std::uint32_t limit = needed;
    if (d.limit_packets != 0) {
        limit = d.limit_packets;
        if (d.limit_packets < needed && notes != nullptr) {
            notes->push_back("limit " + std::to_string(d.limit_packets) + " on " + device +
                             " is below the " + std::to_string(needed) +
                             " packets the delay/rate can hold: netem may drop on its own");
        }
    }
    Argv argv = {"tc",    "-n",    router_netns,         "qdisc", "replace", "dev", device, "root",
                 "netem", "limit", std::to_string(limit)};
    if (d.delay_ms > 0) {
        argv.insert(argv.end(), {"delay", ms(d.delay_ms)});
        if (d.jitter_ms > 0) {
            argv.push_back(ms(d.jitter_ms));
            if (d.delay_correlation > 0) {
                argv.push_back(pct(d.delay_correlation));
            }
            if (d.distribution != DelayDistribution::none) {
                argv.insert(argv.end(), {"distribution", to_string(d.distribution)});
            }
        }
    }
    if (d.loss_gemodel) {
        const auto& g = *d.loss_gemodel;
        argv.insert(argv.end(), {"loss", "gemodel", pct(g.p), pct(g.r), pct(g.one_minus_h),
                                 pct(g.one_minus_k)});
    } else if (d.loss_percent > 0) {
        argv.insert(argv.end(), {"loss", "random", pct(d.loss_percent)});
        if (d.loss_correlation > 0) {
            argv.push_back(pct(d.loss_correlation));
        }
    }
    if (d.duplicate_percent > 0) {
        argv.insert(argv.end(), {"duplicate", pct(d.duplicate_percent)});
    }
    if (d.corrupt_percent > 0) {
        argv.insert(argv.end(), {"corrupt", pct(d.corrupt_percent)});
    }
    if (d.reorder_percent > 0) {
        argv.insert(argv.end(), {"reorder", pct(d.reorder_percent)});
        if (d.reorder_correlation > 0) {
            argv.push_back(pct(d.reorder_correlation));
        }
        if (d.reorder_gap > 0) {
            argv.insert(argv.end(), {"gap", std::to_string(d.reorder_gap)});
        }
    }
    if (d.rate_bps > 0) {
        argv.insert(argv.end(), {"rate", std::to_string(d.rate_bps) + "bit"});
    }
    const bool random = d.loss_percent > 0 || d.loss_gemodel || d.duplicate_percent > 0 ||
                        d.corrupt_percent > 0 || d.reorder_percent > 0 || d.jitter_ms > 0;
    if (features.netem_seed) {
        argv.insert(argv.end(), {"seed", std::to_string(seed)});
    } else if (random && notes != nullptr) {
        notes->push_back("netem on " + device + ": this kernel/iproute2 has no netem `seed` " +
                         "(needs >= 6.7), so tc's random choices differ between runs");
    }
    return argv;
}

std::vector<Argv> nft_schedule_commands(const std::string& router_netns,
                                        const Impairment& impairment) {
    for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        const auto& s = impairment.get(dir).schedule;
        const std::string p = to_string(dir) + ".";
        if (!s.drop_data_segments.empty()) {
            throw UsageError("--" + p +
                             "drop-data-segment: the tc backend cannot pick the Nth "
                             "data segment's first transmission (nftables has no per-flow "
                             "segment count); use --backend userspace");
        }
        if (!s.drop_windows.empty()) {
            throw UsageError("--" + p +
                             "drop-window: the tc backend has no clock relative to the "
                             "run's start; use --backend userspace");
        }
    }
    std::vector<Argv> out;
    bool table_made = false;
    std::vector<Argv> rules;
    for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        const auto& s = impairment.get(dir).schedule;
        const bool c2s = dir == Direction::client_to_server;
        const std::string in = c2s ? kRouterClientInterface : kRouterServerInterface;
        const std::string outdev = c2s ? kRouterServerInterface : kRouterClientInterface;
        for (const auto& kind : kScheduleKinds) {
            const std::uint32_t k = s.*kind.count;
            if (k == 0) {
                continue;
            }
            if (!table_made) {
                out.push_back(nft(router_netns, {"add", "table", "inet", kTable}));
                out.push_back(nft(router_netns, {"add", "chain", "inet", kTable, "forward", "{",
                                                 "type", "filter", "hook", "forward", "priority",
                                                 "0", ";", "policy", "accept", ";", "}"}));
                table_made = true;
            }
            const std::string chain = to_string(dir) + "_" + kind.name;
            out.push_back(nft(router_netns, {"add", "chain", "inet", kTable, chain}));
            // numgen counts only packets that jump here, i.e. the matching ones, in order.
            out.push_back(
                nft(router_netns, {"add", "rule", "inet", kTable, chain, "numgen", "inc", "mod",
                                   "1000000000", "lt", std::to_string(k), "counter", "drop"}));
            const Argv head = {"add",     "rule", "inet",    kTable, "forward",
                               "iifname", in,     "oifname", outdev};
            auto rule = [&](std::initializer_list<std::string> match) {
                Argv argv = {"ip", "netns", "exec", router_netns, "nft"};
                argv.insert(argv.end(), head.begin(), head.end());
                argv.insert(argv.end(), match);
                if (std::string(kind.flags) == kind.mask) {  // "fin / fin" does not parse
                    argv.insert(argv.end(), {"tcp", "flags", "&", kind.mask, "==", kind.flags});
                } else {
                    argv.insert(argv.end(), {"tcp", "flags", kind.flags, "/", kind.mask});
                }
                argv.insert(argv.end(), {"jump", chain});
                rules.push_back(argv);
            };
            if (std::string(kind.name) != "pure_ack") {
                rule({"meta", "l4proto", "tcp"});
                continue;
            }
            // A pure ACK carries no payload: IP length == header + TCP header (doff x 4). nft
            // has no arithmetic, so one rule per possible TCP header length (IPv4 without
            // options, IPv6 without extension headers, as the lab's kernels send them).
            for (int doff = 5; doff <= 15; ++doff) {
                rule({"meta", "nfproto", "ipv4", "ip", "hdrlength", "5", "ip", "length",
                      std::to_string(20 + 4 * doff), "tcp", "doff", std::to_string(doff)});
                rule({"meta", "nfproto", "ipv6", "ip6", "nexthdr", "tcp", "ip6", "length",
                      std::to_string(4 * doff), "tcp", "doff", std::to_string(doff)});
            }
        }
    }
    out.insert(out.end(), rules.begin(), rules.end());
    return out;
}

NetemCounters parse_netem_stats(const std::string& tc_json) {
    NetemCounters c;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(tc_json);
    } catch (const std::exception& e) {
        throw SystemError(std::string("cannot parse `tc -s -j qdisc show` output: ") + e.what());
    }
    if (!doc.is_array()) {
        throw SystemError("`tc -s -j qdisc show` output is not a JSON array");
    }
    for (const auto& q : doc) {
        if (q.value("kind", "") != "netem" || !q.value("root", false)) {
            continue;
        }
        c.present = true;
        c.sent_packets = get_u64(q, "packets");
        c.sent_bytes = get_u64(q, "bytes");
        c.drops = get_u64(q, "drops");
        c.overlimits = get_u64(q, "overlimits");
        c.requeues = get_u64(q, "requeues");
        c.backlog_bytes = get_u64(q, "backlog");
        c.qlen = get_u64(q, "qlen");
        if (const auto opt = q.find("options"); opt != q.end() && opt->is_object()) {
            c.limit = get_u64(*opt, "limit");
            if (opt->contains("seed")) {
                c.seed = get_u64(*opt, "seed");
            }
        }
        break;
    }
    return c;
}

std::vector<std::pair<std::string, std::uint64_t>> parse_schedule_counters(
    const std::string& nft_json) {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(nft_json);
    } catch (const std::exception& e) {
        throw SystemError(std::string("cannot parse `nft -j list table` output: ") + e.what());
    }
    for (const auto& item : doc.value("nftables", nlohmann::json::array())) {
        const auto rule = item.find("rule");
        if (rule == item.end() || rule->value("chain", "") == "forward") {
            continue;
        }
        for (const auto& expr : rule->value("expr", nlohmann::json::array())) {
            if (const auto counter = expr.find("counter");
                counter != expr.end() && counter->is_object()) {
                out.emplace_back(rule->value("chain", ""), get_u64(*counter, "packets"));
            }
        }
    }
    return out;
}

TcBackend::TcBackend(int run_id, Impairment impairment, TcFeatures features, CommandRunner* runner)
    : router_netns_(namespace_name(run_id, Role::router)),
      impairment_(std::move(impairment)),
      features_(features),
      runner_(runner != nullptr ? runner : &system_runner()) {
    if (const auto problems = validate(impairment_); !problems.empty()) {
        std::string msg = "impairment settings that cannot work as given:";
        for (const auto& p : problems) msg += "\n  --" + p;
        throw UsageError(msg);
    }
    (void)nft_schedule_commands(router_netns_, impairment_);  // refuses before anything runs
    for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        (void)netem_qdisc_argv(router_netns_, egress_interface(dir), impairment_.get(dir),
                               impairment_.seed, features_, &notes_);
    }
}

std::string to_string(ScheduleMechanism m) {
    return m == ScheduleMechanism::nftables ? "nftables" : "iptables-legacy";
}

std::vector<Argv> TcBackend::schedule_commands() const {
    return mechanism_ == ScheduleMechanism::nftables
               ? nft_schedule_commands(router_netns_, impairment_)
               : iptables_schedule_commands(router_netns_, impairment_);
}

std::vector<Argv> TcBackend::commands() const {
    std::vector<Argv> out;
    for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        out.push_back(netem_qdisc_argv(router_netns_, egress_interface(dir), impairment_.get(dir),
                                       impairment_.seed, features_, nullptr));
    }
    const auto schedule = schedule_commands();
    out.insert(out.end(), schedule.begin(), schedule.end());
    return out;
}

void TcBackend::apply_schedules() {
    const auto nft_cmds = nft_schedule_commands(router_netns_, impairment_);
    if (nft_cmds.empty()) {
        return;
    }
    // The first command (`add table inet tcplab`) is the probe: if it fails, nothing exists yet.
    const auto probe = runner_->run(nft_cmds.front(), /*check=*/false);
    if (probe.exit_code == 0) {
        for (auto it = nft_cmds.begin() + 1; it != nft_cmds.end(); ++it) {
            runner_->run(*it);
        }
        return;
    }
    const std::string hint = nft_unsupported_family_hint(nft_cmds.front(), probe);
    const std::string nft_failure =
        describe_failure(nft_cmds.front(), probe) + (hint.empty() ? "" : "\n  (" + hint + ")");
    // K rules per chain: checked before anything is installed, like every other refusal.
    const auto ipt_cmds = iptables_schedule_commands(router_netns_, impairment_);
    for (const auto& argv : ipt_cmds) {
        const auto result = runner_->run(argv, /*check=*/false);
        if (result.exit_code != 0) {
            throw EnvironmentError(
                "the tc backend's drop-syn/-synack/-fin/-pure-ack schedules need nftables with "
                "the inet family or iptables-legacy in " +
                router_netns_ + ", and neither works here:\n  " + nft_failure + "\n  " +
                describe_failure(argv, result) +
                "\n  run this scenario with --backend userspace (on the host: --vm is tc only)");
        }
    }
    mechanism_ = ScheduleMechanism::iptables_legacy;
    const std::string why = stderr_text(probe);
    notes_.push_back("nftables refused the schedule's inet table (" +
                     why.substr(0, why.find('\n')) +
                     "): the drop-syn/-synack/-fin/-pure-ack schedules are iptables-legacy "
                     "rules with the same first-K semantics");
}

void TcBackend::apply() {
    for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        runner_->run(netem_qdisc_argv(router_netns_, egress_interface(dir), impairment_.get(dir),
                                      impairment_.seed, features_, nullptr));
    }
    apply_schedules();
    if (runner_->dry_run()) {
        return;
    }
    for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        const auto out = runner_->run(
            {"tc", "-n", router_netns_, "-s", "-j", "qdisc", "show", "dev", egress_interface(dir)});
        if (!parse_netem_stats(out.out).present) {
            throw SystemError("netem qdisc missing on " + router_netns_ + "/" +
                              egress_interface(dir) + " right after `tc qdisc replace` succeeded");
        }
    }
}

TcRunStats TcBackend::read_stats() const {
    TcRunStats stats;
    std::vector<std::pair<std::string, std::uint64_t>> schedule;
    if (!nft_schedule_commands(router_netns_, impairment_).empty()) {
        if (mechanism_ == ScheduleMechanism::nftables) {
            const auto out = runner_->run({"ip", "netns", "exec", router_netns_, "nft", "-j",
                                           "list", "table", "inet", kTable});
            if (!runner_->dry_run()) {
                schedule = parse_schedule_counters(out.out);
            }
        } else {
            for (const auto& argv : iptables_counter_commands(router_netns_)) {
                const auto out = runner_->run(argv);
                const auto counters = parse_iptables_schedule_counters(out.out);
                schedule.insert(schedule.end(), counters.begin(), counters.end());
            }
        }
    }
    for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        auto& s =
            dir == Direction::client_to_server ? stats.client_to_server : stats.server_to_client;
        s.direction = dir;
        const auto out = runner_->run(
            {"tc", "-n", router_netns_, "-s", "-j", "qdisc", "show", "dev", egress_interface(dir)});
        if (!runner_->dry_run()) {
            s.netem = parse_netem_stats(out.out);
        }
        const auto& d = impairment_.get(dir);
        const bool loss_model = d.loss_percent > 0 || d.loss_gemodel.has_value();
        if (loss_model) {
            s.injected_loss = s.netem.drops;
            s.queue_drops_separable = false;
        } else {
            s.queue_drops = s.netem.drops;
        }
        for (const auto& [chain, packets] : schedule) {
            if (chain.rfind(to_string(dir) + "_", 0) == 0) {
                s.schedule_drops += packets;
            }
        }
    }
    return stats;
}

}  // namespace tcplab::netem
