#pragma once
// `tcplab gen syn`: a port probe with a readable transcript. Sends a SYN with the requested
// options and reports what came back within the timeout: a SYN-ACK (with its options), a RST, or
// nothing. The local kernel RSTs the SYN-ACK itself, which closes the half-open connection on the
// peer (the same as hping3 or nmap -sS).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "generator/detail/syn_settings.hpp"
#include "packet/ip_address.hpp"
#include "packet/tcp.hpp"

namespace tcplab::gen {

// sport: probe i uses sport+i (random when unset).
struct SynProbeOptions : SynSettings {
    std::vector<packet::TcpOption> extra_options;  // appended after the Linux layout
    std::uint16_t flags = packet::tcp_flag::kSyn;  // e.g. SYN|ECE|CWR for an ECN setup
    unsigned count = 1;
    std::chrono::milliseconds timeout{3000};  // per probe
};

enum class ProbeReply : std::uint8_t { syn_ack, rst, none };
const char* to_string(ProbeReply reply);

struct SynProbeAnswer {
    ProbeReply reply = ProbeReply::none;
    std::uint16_t sport = 0;
    std::optional<packet::TcpHeader> header;  // the answer, when there was one
    std::optional<std::chrono::microseconds> rtt;
};

struct SynProbeResult {
    std::vector<SynProbeAnswer> answers;  // one per probe
    std::vector<std::string> transcript;  // sent and received lines, Wireshark style
};

SynProbeResult run_syn_probe(const SynProbeOptions& options);

}  // namespace tcplab::gen
