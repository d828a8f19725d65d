#pragma once
// Analysis flags: one bit per tshark TCP_A_* verdict, and the mapping to the tcp.analysis.* fields
// that the docs/CLI.md TSV contract prints (in its fixed order).
#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace tcplab::analyzer {

namespace flag {
constexpr std::uint32_t kRetransmission = 1u << 0;
constexpr std::uint32_t kFastRetransmission = 1u << 1;
constexpr std::uint32_t kSpuriousRetransmission = 1u << 2;
constexpr std::uint32_t kOutOfOrder = 1u << 3;
constexpr std::uint32_t kDuplicateAck = 1u << 4;
constexpr std::uint32_t kLostSegment = 1u << 5;
constexpr std::uint32_t kAckLostSegment = 1u << 6;
constexpr std::uint32_t kKeepAlive = 1u << 7;
constexpr std::uint32_t kZeroWindow = 1u << 8;
constexpr std::uint32_t kWindowUpdate = 1u << 9;
constexpr std::uint32_t kWindowFull = 1u << 10;
constexpr std::uint32_t kKeepAliveAck = 1u << 11;
constexpr std::uint32_t kZeroWindowProbe = 1u << 12;
constexpr std::uint32_t kZeroWindowProbeAck = 1u << 13;  // tshark has it; the TSV contract does not
constexpr std::uint32_t kReusedPorts = 1u << 14;         // "TCP Port numbers reused"
}  // namespace flag

struct FlagName {
    std::uint32_t bit;
    std::string_view name;
};

// The TSV columns' flag names in docs/CLI.md order. Each is the tcp.analysis.<name> field.
inline constexpr std::array<FlagName, 13> kTsvFlags{{
    {flag::kRetransmission, "retransmission"},
    {flag::kFastRetransmission, "fast_retransmission"},
    {flag::kSpuriousRetransmission, "spurious_retransmission"},
    {flag::kOutOfOrder, "out_of_order"},
    {flag::kDuplicateAck, "duplicate_ack"},
    {flag::kLostSegment, "lost_segment"},
    {flag::kAckLostSegment, "ack_lost_segment"},
    {flag::kKeepAlive, "keep_alive"},
    {flag::kZeroWindow, "zero_window"},
    {flag::kWindowUpdate, "window_update"},
    {flag::kWindowFull, "window_full"},
    {flag::kKeepAliveAck, "keep_alive_ack"},
    {flag::kZeroWindowProbe, "zero_window_probe"},
}};

// Every verdict's name indexed by its bit number, so that naming a bit is a lookup (the event
// table names one or two per line, hundreds of thousands of lines).
inline constexpr std::array<std::string_view, 15> kVerdictNames = [] {
    std::array<std::string_view, 15> names{};
    for (const auto& f : kTsvFlags)
        names[static_cast<std::size_t>(std::countr_zero(f.bit))] = f.name;
    names[std::countr_zero(flag::kZeroWindowProbeAck)] = "zero_window_probe_ack";
    names[std::countr_zero(flag::kReusedPorts)] = "reused_ports";
    return names;
}();

// tshark adds the tcp.analysis.retransmission expert field to fast and spurious retransmissions
// too, so the field set differs from the verdict bits; this is the field set.
constexpr std::uint32_t tshark_fields(std::uint32_t verdicts) {
    if ((verdicts & (flag::kFastRetransmission | flag::kSpuriousRetransmission)) != 0) {
        verdicts |= flag::kRetransmission;
    }
    return verdicts;
}

// "retransmission,fast_retransmission" for the TSV (tshark fields, docs/CLI.md order).
void append_tsv_flags(std::uint32_t verdicts, std::string& out);

// Human-readable names of the verdict bits (all of them, including the non-TSV ones).
std::string verdict_names(std::uint32_t verdicts, std::string_view separator = ", ");
std::string_view verdict_name(std::uint32_t bit);
// The same, appended to `out`: a std::string, or the event table's line buffer (it writes one
// per event, and a detour through a string would cut each line in two).
template <class Out>
void append_verdict_names(Out& out, std::uint32_t verdicts, std::string_view separator = ", ") {
    bool first = true;
    for (std::uint32_t rest = verdicts & ((flag::kReusedPorts << 1) - 1); rest != 0;
         rest &= rest - 1) {
        if (!first) out += separator;
        out += kVerdictNames[static_cast<std::size_t>(std::countr_zero(rest))];
        first = false;
    }
}

}  // namespace tcplab::analyzer
