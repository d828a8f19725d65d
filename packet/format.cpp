// Wireshark-style text. Strings checked against tshark 4.0's tcp.flags tree and info column:
// flags low bit first ("SYN, ACK", "FIN, ACK"), "Reserved" last, "<None>" when no bit is set;
// options in the info column as "MSS=.. SACK_PERM TSval=.. TSecr=.. WS=.. SLE=.. SRE=..".
#include "packet/format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace tcplab::packet {

namespace {

constexpr std::array<const char*, 9> kFlagNames = {"FIN", "SYN", "RST", "PSH", "ACK",
                                                   "URG", "ECE", "CWR", "AE"};
constexpr std::uint16_t kReservedBits = 0x0E00;
constexpr unsigned kMaxWindowShift = 14;  // RFC 7323 2.3: larger shifts are treated as 14

void append_number(std::string& out, const char* label, std::uint64_t value) {
    out += label;
    out += std::to_string(value);
}

}  // namespace

std::string flag_names(std::uint16_t flags) {
    std::string out;
    for (std::size_t bit = 0; bit < kFlagNames.size(); ++bit) {
        if ((flags & (1u << bit)) == 0) continue;
        if (!out.empty()) out += ", ";
        out += kFlagNames[bit];
    }
    if ((flags & kReservedBits) != 0) out += out.empty() ? "Reserved" : ", Reserved";
    return out.empty() ? "<None>" : out;
}

std::string flags_hex(std::uint16_t flags) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%03x", static_cast<unsigned>(flags & 0x0FFF));
    return std::string(hex) + " (" + flag_names(flags) + ")";
}

std::string options_summary(const TcpOptions& options) {
    std::string out;
    auto sep = [&out] {
        if (!out.empty()) out += ' ';
    };
    if (options.mss) {
        sep();
        append_number(out, "MSS=", *options.mss);
    }
    if (options.sack_permitted) {
        sep();
        out += "SACK_PERM";
    }
    if (options.timestamps) {
        sep();
        append_number(out, "TSval=", options.timestamps->value);
        append_number(out, " TSecr=", options.timestamps->echo_reply);
    }
    if (options.window_scale) {
        sep();
        const unsigned shift = std::min<unsigned>(*options.window_scale, kMaxWindowShift);
        append_number(out, "WS=", std::uint64_t{1} << shift);  // the multiplier, as Wireshark
    }
    for (const auto& block : options.sack()) {
        sep();
        append_number(out, "SLE=", block.left.raw());
        append_number(out, " SRE=", block.right.raw());
    }
    return out;
}

std::string info_line(const TcpHeader& tcp, const InfoLine& shown) {
    std::string out = std::to_string(tcp.src_port) + " \u2192 " + std::to_string(tcp.dst_port);
    out += " [" + flag_names(tcp.flags) + "]";
    append_number(out, " Seq=", shown.seq);
    if (tcp.has(tcp_flag::kAck)) append_number(out, " Ack=", shown.ack);
    append_number(out, " Win=", shown.window);
    if (tcp.has(tcp_flag::kUrg)) append_number(out, " Urg=", tcp.urgent_pointer);
    append_number(out, " Len=", shown.payload_length);
    const std::string options = options_summary(tcp.options);
    if (!options.empty()) out += " " + options;
    return out;
}

}  // namespace tcplab::packet
