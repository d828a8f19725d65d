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
    if (!std::has_single_bit(bit) || bit > flag::kReusedPorts) return "unknown";
    return kVerdictNames[static_cast<std::size_t>(std::countr_zero(bit))];
}

std::string verdict_names(std::uint32_t verdicts, std::string_view separator) {
    std::string out;
    append_verdict_names(out, verdicts, separator);
    return out;
}

}  // namespace tcplab::analyzer
