#pragma once
// The tc backend's deterministic schedules (drop-syn / -synack / -fin / -pure-ack) as
// iptables-legacy rules: the fallback for kernels whose nf_tables lacks the inet family, such as
// Debian's user-mode-linux 6.1 kernel behind --vm (base/nft_hint.hpp). x_tables, ip_tables,
// ip6_tables and the xt_* matches are modules there and load on demand.
//
// Same semantics as the nft form (tc_backend.hpp): exactly the first K packets that match a
// (direction, kind) are dropped, retransmissions included. nft counts them with one `numgen inc`
// rule; xtables has no "first K" match, so the chain holds K rules
// `-m statistic --mode nth --every 1000000000 --packet 0 -j DROP`: an nth counter advances only
// for the packets that reach its rule and matches the first of them, so packet i (from 0) passes
// the i rules before it (each already spent) and is dropped by rule i; packet K passes all K. The
// one difference: iptables and ip6tables have separate chains, so a run that sends both IPv4 and
// IPv6 gets the first K of each family, where nft's one chain counts the first K of both (the
// lab's traffic uses one family per run).
//
// Matching mirrors the nft rules word for word: FORWARD from the direction's ingress to its egress
// veth; `--tcp-flags FIN,SYN,RST,ACK SYN` (or SYN,ACK / ACK), `--tcp-flags FIN FIN`; a pure ACK is
// one u32 rule per TCP header length (doff 5..15): IPv4 with ihl 5 and total length 20 + 4 x doff,
// IPv6 with TCP as the first next header and payload length 4 x doff.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/command.hpp"
#include "netem/impair/impairment.hpp"

namespace tcplab::netem {

// K rules per chain: past this a schedule is refused on this mechanism (each rule is one
// iptables-legacy call that rewrites the whole table; nothing in the lab needs more).
inline constexpr std::uint32_t kMaxIptablesScheduleCount = 1000;
// Chains are "tcplab_<dir>_<kind>" in the filter table of both iptables and ip6tables.
inline constexpr const char* kIptablesChainPrefix = "tcplab_";

// The commands (each `ip netns exec NS iptables-legacy|ip6tables-legacy -w ...`) for the schedules
// of both directions; empty when there is none. Throws UsageError for what nft_schedule_commands
// refuses too, and for a K above kMaxIptablesScheduleCount.
std::vector<Argv> iptables_schedule_commands(const std::string& router_netns,
                                             const Impairment& impairment);

// The two commands whose output parse_iptables_schedule_counters reads.
std::vector<Argv> iptables_counter_commands(const std::string& router_netns);

// Parses `iptables-legacy-save -c -t filter` (or ip6tables-) output: packets dropped per schedule
// chain, named as parse_schedule_counters names them ("c2s_syn" -> n), one entry per rule.
std::vector<std::pair<std::string, std::uint64_t>> parse_iptables_schedule_counters(
    const std::string& save_output);

}  // namespace tcplab::netem
