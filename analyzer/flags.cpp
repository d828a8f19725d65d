#include "analyzer/flags.hpp"

namespace tcplab::analyzer {

void append_tsv_flags(std::uint32_t verdicts, std::string& out) {
    const std::uint32_t fields = tshark_fields(verdicts);
    bool first = true;
    for (const auto& f : kTsvFlags) {
        if ((fields & f.bit) == 0) continue;
        if (!first) out.push_back(',');
        out.append(f.name);
        first = false;
    }
}

std::string_view verdict_name(std::uint32_t bit) {
    for (const auto& f : kTsvFlags) {
        if (f.bit == bit) return f.name;
    }
    if (bit == flag::kZeroWindowProbeAck) return "zero_window_probe_ack";
    if (bit == flag::kReusedPorts) return "reused_ports";
    return "unknown";
}

std::string verdict_names(std::uint32_t verdicts, std::string_view separator) {
    std::string out;
    append_verdict_names(out, verdicts, separator);
    return out;
}

}  // namespace tcplab::analyzer
