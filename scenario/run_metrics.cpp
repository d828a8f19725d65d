#include "scenario/run_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "base/sample_stats.hpp"
#include "packet/tcp.hpp"

namespace tcplab::scenario {

namespace tf = packet::tcp_flag;

std::optional<std::uint32_t> main_stream(const Vantage& client,
                                         const packet::IpAddress& client_address) {
    for (const auto& f : client.frames) {
        if (f.src.address == client_address && (f.tcp_flags & tf::kSyn) != 0 &&
            (f.tcp_flags & tf::kAck) == 0) {
            return f.stream;
        }
    }
    return std::nullopt;
}

namespace {

void count_resends(const Vantage& v, const packet::IpAddress& sender, bool is_sender,
                   RunMetrics& out) {
    for (const auto& f : v.frames) {
        if ((f.src.address == sender) == is_sender && flagged_as_resend(f.verdicts)) {
            ++out.retransmissions;
            if (f.rto > 0) {
                out.rtos.push_back(f.rto);
            }
        }
    }
}

// Handshake time and goodput of the main stream, from the client's capture.
void measure_main_stream(const Vantage& client, const packet::IpAddress& client_address,
                         RunMetrics& out) {
    const auto stream = main_stream(client, client_address);
    if (!stream) {
        return;
    }
    std::optional<double> syn_t;
    std::optional<std::uint32_t> isn;
    bool synack_seen = false;
    std::optional<double> first_data_t;
    std::uint32_t best_ack = 0;  // relative to the ISN
    double best_ack_t = 0;
    bool fin_acked = false;
    std::optional<std::uint32_t> fin_seq;
    for (const auto& f : client.frames) {
        if (f.stream != *stream) {
            continue;
        }
        const bool from_client = f.src.address == client_address;
        if (from_client) {
            if ((f.tcp_flags & tf::kSyn) != 0) {
                if (!syn_t) {
                    syn_t = f.t;
                    isn = f.seq;
                }
                continue;
            }
            if (synack_seen && !out.handshake_s && (f.tcp_flags & tf::kAck) != 0) {
                out.handshake_s = f.t - *syn_t;
            }
            if (f.len > 0 && !first_data_t) {
                first_data_t = f.t;
            }
            if ((f.tcp_flags & tf::kFin) != 0) {
                fin_seq = f.seq + f.len;
            }
            continue;
        }
        if (!isn || (f.tcp_flags & tf::kAck) == 0) {
            continue;
        }
        synack_seen = synack_seen || (f.tcp_flags & tf::kSyn) != 0;
        const std::uint32_t acked = f.ack - *isn;
        // Acks only grow (mod 2^32, within a window far below 2 GiB for a scenario's transfer).
        if (first_data_t && acked > best_ack && acked < 0x80000000U) {
            best_ack = acked;
            best_ack_t = f.t;
            fin_acked = fin_seq && f.ack == *fin_seq + 1;
        }
    }
    if (first_data_t && best_ack > 1 && best_ack_t > *first_data_t) {
        const std::uint32_t bytes = best_ack - 1 - (fin_acked ? 1 : 0);  // minus the SYN and FIN
        out.goodput_mbps = static_cast<double>(bytes) * 8 / (best_ack_t - *first_data_t) / 1e6;
    }
}

// The data segment copies each side sent, at its own capture, named as `dropped` names them.
void collect_sent(const Vantage& v, const packet::IpAddress& client_address, bool client_side,
                  std::vector<std::string>& out) {
    std::map<std::string, std::uint32_t> isn;  // "src>dst" -> that side's ISN
    std::map<std::string, int> copies;
    for (const auto& f : v.frames) {
        const bool from_client = f.src.address == client_address;
        const std::string way = f.src.to_string() + ">" + f.dst.to_string();
        if ((f.tcp_flags & tf::kSyn) != 0) {
            isn.try_emplace(way, f.seq);
        }
        const auto own = isn.find(way);
        if (from_client != client_side || f.len == 0 || own == isn.end()) {
            continue;
        }
        const std::string name = std::string(client_side ? "c2s " : "s2c ") +
                                 std::to_string(client_side ? f.dst.port : f.src.port) + " seq " +
                                 std::to_string(f.seq - own->second) + " len " +
                                 std::to_string(f.len);
        out.push_back(name + " #" + std::to_string(++copies[way + name]));
    }
}

}  // namespace

std::string segment_of(const std::string& dropped_name) {
    // Tokens: DIR PORT seq REL len LEN ACTION [#N]; the action is the 7th.
    std::size_t at = 0;
    for (int i = 0; i < 6 && at != std::string::npos; ++i) {
        at = dropped_name.find(' ', at + (i == 0 ? 0 : 1));
    }
    if (at == std::string::npos) {
        return dropped_name;
    }
    const auto end = dropped_name.find(' ', at + 1);
    return dropped_name.substr(0, at) +
           (end == std::string::npos ? std::string() : dropped_name.substr(end));
}

RunMetrics measure_run(const Vantage& client, const Vantage& server,
                       const packet::IpAddress& client_address, const nlohmann::json& injected,
                       bool reproducible) {
    RunMetrics out;
    count_resends(client, client_address, true, out);
    count_resends(server, client_address, false, out);
    measure_main_stream(client, client_address, out);
    out.reproducible = reproducible;
    for (const auto& f : injected) {
        const std::string action = f.value("action", "");
        if (f.value("len", 0U) == 0 ||
            !(action == "drop" || action == "queue_drop" || action == "corrupt")) {
            continue;
        }
        // Ephemeral ports and ISNs differ run to run: a segment is named by the direction, the
        // server's port (each traffic run has its own), its relative seq and length.
        const std::string direction = f.value("direction", "");
        const std::string server = direction == "c2s" ? f.value("dst", "") : f.value("src", "");
        out.dropped.push_back(
            direction + " " + server.substr(server.rfind(':') + 1) + " seq " +
            std::to_string(f.value("relative_seq", 0U)) + " len " +
            std::to_string(f.value("len", 0U)) + " " + action +
            (f.contains("transmission") ? " #" + std::to_string(f.value("transmission", 0U)) : ""));
    }
    std::sort(out.dropped.begin(), out.dropped.end());
    collect_sent(client, client_address, true, out.sent);
    collect_sent(server, client_address, false, out.sent);
    std::sort(out.sent.begin(), out.sent.end());
    return out;
}

nlohmann::json to_json(const RunMetrics& m) {
    nlohmann::json j = {
        {"seed", m.seed},
        {"pass", m.pass},
        {"retransmissions", m.retransmissions},
        {"rto_s", m.rtos},
        {"handshake_s", m.handshake_s ? nlohmann::json(*m.handshake_s) : nlohmann::json()},
        {"goodput_mbps", m.goodput_mbps ? nlohmann::json(*m.goodput_mbps) : nlohmann::json()}};
    j["data_segments_dropped"] = m.dropped;
    j["data_segments_sent"] = m.sent;
    j["reproducible"] = m.reproducible;
    return j;
}

namespace {

std::string row(const char* label, const char* unit, const SampleStats& s, int precision) {
    char buf[200];
    if (s.n == 0) {
        std::snprintf(buf, sizeof buf, "  %-30s %s\n", label, "n/a");
        return buf;
    }
    std::snprintf(buf, sizeof buf, "  %-30s %10.*f %10.*f %10.*f %10.*f  %-8s n=%zu\n", label,
                  precision, s.min, precision, s.median, precision, s.max, precision, s.sd, unit,
                  s.n);
    return buf;
}

}  // namespace

namespace {

// Per packet, over every pair of runs with one seed: TCP's timing decides which copies exist, the
// path decides their fate — so only packets both runs sent are compared.
struct PairTally {
    std::size_t compared = 0, differed = 0, only_one = 0;
    std::string example;  // a packet whose fate differed
};

void compare_pair(const RunMetrics& a, const RunMetrics& b, PairTally& t) {
    std::set<std::string> lost_a, lost_b;
    for (const auto& d : a.dropped) lost_a.insert(segment_of(d));
    for (const auto& d : b.dropped) lost_b.insert(segment_of(d));
    const std::set<std::string> sent_a(a.sent.begin(), a.sent.end());
    const std::set<std::string> sent_b(b.sent.begin(), b.sent.end());
    for (const auto& packet : sent_a) {
        if (sent_b.count(packet) == 0) {
            ++t.only_one;
            continue;
        }
        ++t.compared;
        if ((lost_a.count(packet) != 0) != (lost_b.count(packet) != 0)) {
            ++t.differed;
            t.example = t.example.empty() ? packet : t.example;
        }
    }
    for (const auto& packet : sent_b) {
        t.only_one += sent_a.count(packet) == 0 ? 1 : 0;
    }
}

}  // namespace

std::vector<std::string> reproducibility_lines(const std::vector<RunMetrics>& runs) {
    std::map<std::uint64_t, std::vector<const RunMetrics*>> by_seed;
    for (const auto& r : runs) {
        if (r.reproducible) {
            by_seed[r.seed].push_back(&r);
        }
    }
    std::vector<std::string> out;
    for (const auto& [seed, group] : by_seed) {
        if (group.size() < 2) {
            continue;
        }
        PairTally t;
        std::map<std::vector<std::string>, std::size_t> drop_sets;
        for (std::size_t i = 0; i < group.size(); ++i) {
            ++drop_sets[group[i]->dropped];
            for (std::size_t j = i + 1; j < group.size(); ++j) {
                compare_pair(*group[i], *group[j], t);
            }
        }
        const auto modal =
            std::max_element(drop_sets.begin(), drop_sets.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; });
        out.push_back(
            "seed " + std::to_string(seed) + ": " +
            (t.differed == 0 ? "every data segment two runs both sent had the same fate in both"
                             : std::to_string(t.differed) + " data segments both runs sent had " +
                                   "different fates (e.g. " + t.example + ")") +
            " (" + std::to_string(t.compared) + " compared over " +
            std::to_string(group.size() * (group.size() - 1) / 2) + " pairs of runs; " +
            std::to_string(t.only_one) + " sent by only one run of a pair: TCP's timing)");
        out.push_back("seed " + std::to_string(seed) + ": the modal drop set (" +
                      std::to_string(modal->first.size()) + " data segments) in " +
                      std::to_string(modal->second) + " of " + std::to_string(group.size()) +
                      " runs");
    }
    return out;
}

std::string statistics_table(const std::string& scenario, const std::vector<RunMetrics>& runs) {
    std::vector<double> resends, rtos, handshakes, goodputs, drops;
    int passed = 0;
    for (const auto& r : runs) {
        passed += r.pass ? 1 : 0;
        resends.push_back(r.retransmissions);
        rtos.insert(rtos.end(), r.rtos.begin(), r.rtos.end());
        if (r.handshake_s) {
            handshakes.push_back(*r.handshake_s * 1000);
        }
        if (r.goodput_mbps) {
            goodputs.push_back(*r.goodput_mbps);
        }
        drops.push_back(static_cast<double>(r.dropped.size()));
    }
    std::string out = scenario + ": " + std::to_string(runs.size()) + " runs, " +
                      std::to_string(passed) + " passed\n";
    char head[200];
    std::snprintf(head, sizeof head, "  %-30s %10s %10s %10s %10s\n", "", "min", "median", "max",
                  "sd");
    out += head;
    out += row("retransmissions per run", "", sample_stats(resends), 0);
    out += row("RTO of retransmissions", "s", sample_stats(rtos), 3);
    out += row("handshake time", "ms", sample_stats(handshakes), 2);
    out += row("goodput, main stream", "Mbit/s", sample_stats(goodputs), 1);
    out += row("data segments dropped", "", sample_stats(drops), 0);
    for (const auto& line : reproducibility_lines(runs)) {
        out += "  " + line + "\n";
    }
    return out;
}

}  // namespace tcplab::scenario
