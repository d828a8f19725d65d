#pragma once
// What `scenario run --repeat N` compares across runs: how much TCP re-sent and with which RTOs,
// how long the handshake took, the goodput of the main stream, and which data segments the path
// dropped (the same seed must drop the same ones). Measured from the two captures and the
// injected-fault list of one run; summarised over runs as a table of min/median/max/spread.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "packet/ip_address.hpp"
#include "scenario/vantage.hpp"

namespace tcplab::scenario {

struct RunMetrics {
    std::uint64_t seed = 0;
    bool pass = false;
    int retransmissions = 0;            // frames flagged as re-sends, each in its sender's capture
    std::vector<double> rtos;           // seconds, of those with an RTO
    std::optional<double> handshake_s;  // main stream, at the client: first SYN -> handshake ACK
    std::optional<double>
        goodput_mbps;                  // main stream: client bytes acked / (last ACK - first data)
    bool reproducible = false;         // the seed decides the faults (report.json reproducibility)
    std::vector<std::string> dropped;  // data segments the path lost, named run-independently
    // Every data segment copy each sender sent ("DIR PORT seq REL len LEN #N"): which copies
    // exist is TCP's timing, their fate the path's; only packets two runs both sent are compared.
    std::vector<std::string> sent;
};

// `injected` is report.json's list (entries with direction, relative_seq, len, action, ports).
RunMetrics measure_run(const Vantage& client, const Vantage& server,
                       const packet::IpAddress& client_address, const nlohmann::json& injected,
                       bool reproducible);

nlohmann::json to_json(const RunMetrics& metrics);

// "c2s 5001 seq 1 len 1448 drop #2" -> "c2s 5001 seq 1 len 1448 #2": the packet, without its fate.
std::string segment_of(const std::string& dropped_name);

// Per seed with 2+ reproducible runs: whether every data segment two runs both sent had the same
// fate, how many only one of a pair sent, and the modal drop set. Two lines per seed.
std::vector<std::string> reproducibility_lines(const std::vector<RunMetrics>& runs);

// The statistics table printed after N runs of one scenario.
std::string statistics_table(const std::string& scenario, const std::vector<RunMetrics>& runs);

// The first connection the client opened, as seen in its capture: "the main stream".
std::optional<std::uint32_t> main_stream(const Vantage& client,
                                         const packet::IpAddress& client_address);

}  // namespace tcplab::scenario
