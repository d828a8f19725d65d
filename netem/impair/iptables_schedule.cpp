#include "netem/impair/iptables_schedule.hpp"

#include <array>
#include <charconv>
#include <sstream>

#include "base/errors.hpp"
#include "netem/impair/tc_backend.hpp"
#include "netem/lab/topology_names.hpp"

namespace tcplab::netem {

namespace {

struct Family {
    const char* tool;  // iptables-legacy / ip6tables-legacy
    bool ipv6;
};
constexpr std::array kFamilies = {Family{"iptables-legacy", false},
                                  Family{"ip6tables-legacy", true}};

struct Kind {
    const char* name;  // chain suffix, as in the nft form
    const char* mask;  // --tcp-flags MASK COMP
    const char* comp;
    std::uint32_t FaultSchedule::*count;
};
constexpr std::array kKinds = {
    Kind{"syn", "FIN,SYN,RST,ACK", "SYN", &FaultSchedule::drop_first_syns},
    Kind{"synack", "FIN,SYN,RST,ACK", "SYN,ACK", &FaultSchedule::drop_first_synacks},
    Kind{"fin", "FIN", "FIN", &FaultSchedule::drop_first_fins},
    Kind{"pure_ack", "FIN,SYN,RST,ACK", "ACK", &FaultSchedule::drop_first_pure_acks},
};

// "Every 10^9-th packet, starting with the first": the first packet that reaches the rule, as
// nft's `numgen inc mod 1000000000 lt K` (a run never sends 10^9 matching packets).
constexpr const char* kEvery = "1000000000";

// The u32 test that a TCP segment of header length 4 x doff carries no payload.
std::string pure_ack_u32(bool ipv6, int doff) {
    if (ipv6) {
        // Payload length (bytes 4-5) == the TCP header; next header (byte 6) == TCP, no extension
        // header in between; TCP's data offset is the top nibble of byte 40 + 12.
        return "4>>16=" + std::to_string(4 * doff) +
               "&&4>>8&0xFF=6&&52>>28=" + std::to_string(doff);
    }
    // Version 4 with ihl 5 (byte 0 == 0x45); total length (bytes 2-3) == 20 + the TCP header;
    // TCP's data offset is the top nibble of byte 20 + 12.
    return "0>>24=0x45&&0&0xFFFF=" + std::to_string(20 + 4 * doff) +
           "&&32>>28=" + std::to_string(doff);
}

}  // namespace

std::vector<Argv> iptables_schedule_commands(const std::string& router_netns,
                                             const Impairment& impairment) {
    (void)nft_schedule_commands(router_netns, impairment);  // the same refusals, same words
    std::vector<Argv> chains;
    std::vector<Argv> jumps;
    for (const Family& family : kFamilies) {
        const auto cmd = [&](std::initializer_list<std::string> words) {
            Argv argv = {"ip", "netns", "exec", router_netns, family.tool, "-w"};
            argv.insert(argv.end(), words);
            return argv;
        };
        for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
            const auto& s = impairment.get(dir).schedule;
            const bool c2s = dir == Direction::client_to_server;
            const std::string in = c2s ? kRouterClientInterface : kRouterServerInterface;
            const std::string out = c2s ? kRouterServerInterface : kRouterClientInterface;
            for (const Kind& kind : kKinds) {
                const std::uint32_t k = s.*kind.count;
                if (k == 0) {
                    continue;
                }
                if (k > kMaxIptablesScheduleCount) {
                    throw UsageError(
                        "--" + to_string(dir) + ".drop-" +
                        (std::string(kind.name) == "pure_ack" ? std::string("pure-ack")
                                                              : std::string(kind.name)) +
                        " " + std::to_string(k) + ": where nftables has no inet " +
                        "family the tc backend drops with one iptables rule per " +
                        "packet, at most " + std::to_string(kMaxIptablesScheduleCount) +
                        "; use --backend userspace");
                }
                const std::string chain =
                    std::string(kIptablesChainPrefix) + to_string(dir) + "_" + kind.name;
                chains.push_back(cmd({"-N", chain}));
                for (std::uint32_t i = 0; i < k; ++i) {
                    chains.push_back(cmd({"-A", chain, "-m", "statistic", "--mode", "nth",
                                          "--every", kEvery, "--packet", "0", "-j", "DROP"}));
                }
                const auto jump = [&](std::initializer_list<std::string> extra) {
                    Argv argv = cmd({"-A", "FORWARD", "-i", in, "-o", out, "-p", "tcp",
                                     "--tcp-flags", kind.mask, kind.comp});
                    argv.insert(argv.end(), extra);
                    argv.insert(argv.end(), {"-j", chain});
                    jumps.push_back(argv);
                };
                if (std::string(kind.name) != "pure_ack") {
                    jump({});
                    continue;
                }
                for (int doff = 5; doff <= 15; ++doff) {
                    jump({"-m", "u32", "--u32", pure_ack_u32(family.ipv6, doff)});
                }
            }
        }
    }
    // Chains first: a FORWARD rule may only jump to a chain that exists.
    chains.insert(chains.end(), jumps.begin(), jumps.end());
    return chains;
}

std::vector<Argv> iptables_counter_commands(const std::string& router_netns) {
    std::vector<Argv> out;
    for (const Family& family : kFamilies) {
        out.push_back({"ip", "netns", "exec", router_netns, std::string(family.tool) + "-save",
                       "-c", "-t", "filter"});
    }
    return out;
}

std::vector<std::pair<std::string, std::uint64_t>> parse_iptables_schedule_counters(
    const std::string& save_output) {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    std::istringstream in(save_output);
    std::string line;
    const std::string prefix = kIptablesChainPrefix;
    while (std::getline(in, line)) {
        // "[12:720] -A tcplab_c2s_syn -m statistic ... -j DROP"
        if (line.empty() || line[0] != '[') {
            continue;
        }
        const auto colon = line.find(':');
        const auto close = line.find("] -A ");
        if (colon == std::string::npos || close == std::string::npos || colon > close) {
            continue;
        }
        const auto chain_at = close + 5;
        const auto chain_end = line.find(' ', chain_at);
        const std::string chain = line.substr(chain_at, chain_end - chain_at);
        if (chain.rfind(prefix, 0) != 0) {
            continue;  // FORWARD's jumps count matches, not drops
        }
        std::uint64_t packets = 0;
        const auto [ptr, ec] = std::from_chars(line.data() + 1, line.data() + colon, packets);
        if (ec != std::errc{} || ptr != line.data() + colon) {
            throw SystemError("cannot read the packet counter in iptables-save's line '" + line +
                              "'");
        }
        out.emplace_back(chain.substr(prefix.size()), packets);
    }
    return out;
}

}  // namespace tcplab::netem
