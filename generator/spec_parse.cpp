#include "generator/spec_parse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "base/errors.hpp"
#include "generator/tcp_client.hpp"

namespace tcplab::gen {

namespace {

[[noreturn]] void bad(std::string_view flag_name, std::string_view text, std::string_view why) {
    throw UsageError("--" + std::string(flag_name) + " '" + std::string(text) +
                     "': " + std::string(why));
}

template <class T>
T parse_number(std::string_view text, std::string_view flag_name, int base = 10) {
    T value{};
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
    if (text.empty() || ec != std::errc() || ptr != end) {
        bad(flag_name, text, "not a number in range");
    }
    return value;
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

}  // namespace

std::uint16_t parse_tcp_flags(std::string_view text, std::string_view flag_name) {
    if (text.starts_with("0x") || text.starts_with("0X")) {
        const auto v = parse_number<std::uint32_t>(text.substr(2), flag_name, 16);
        if (v > 0x1ff) {
            bad(flag_name, text, "TCP has 9 flag bits (max 0x1ff)");
        }
        return static_cast<std::uint16_t>(v);
    }
    static constexpr std::pair<std::string_view, std::uint16_t> kNames[] = {
        {"FIN", packet::tcp_flag::kFin}, {"SYN", packet::tcp_flag::kSyn},
        {"RST", packet::tcp_flag::kRst}, {"PSH", packet::tcp_flag::kPsh},
        {"ACK", packet::tcp_flag::kAck}, {"URG", packet::tcp_flag::kUrg},
        {"ECE", packet::tcp_flag::kEce}, {"CWR", packet::tcp_flag::kCwr},
        {"AE", packet::tcp_flag::kAe},   {"NS", packet::tcp_flag::kAe},
    };
    std::uint16_t flags = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto next = text.find_first_of(",+|", pos);
        const auto word =
            upper(text.substr(pos, next == std::string_view::npos ? text.npos : next - pos));
        if (!word.empty()) {
            const auto* it = std::find_if(std::begin(kNames), std::end(kNames),
                                          [&](const auto& n) { return n.first == word; });
            if (it == std::end(kNames)) {
                bad(flag_name, text,
                    "unknown flag '" + word + "' (FIN SYN RST PSH ACK URG ECE CWR AE)");
            }
            flags |= it->second;
        }
        if (next == std::string_view::npos) {
            break;
        }
        pos = next + 1;
    }
    return flags;
}

packet::TcpOption parse_raw_option(std::string_view text, std::string_view flag_name) {
    const auto colon = text.find(':');
    const auto kind = parse_number<unsigned>(text.substr(0, colon), flag_name);
    if (kind > 255) {
        bad(flag_name, text, "option kind must be 0..255");
    }
    std::vector<std::uint8_t> data;
    if (colon != std::string_view::npos) {
        const auto hex = text.substr(colon + 1);
        if (hex.size() % 2 != 0) {
            bad(flag_name, text, "option data must be an even number of hex digits");
        }
        for (std::size_t i = 0; i < hex.size(); i += 2) {
            data.push_back(parse_number<std::uint8_t>(hex.substr(i, 2), flag_name, 16));
        }
    }
    if (data.size() > 38) {
        bad(flag_name, text, "option data longer than the 38 bytes TCP can carry");
    }
    return packet::TcpOption::make_raw(static_cast<std::uint8_t>(kind), std::move(data));
}

packet::SackBlock parse_sack_block(std::string_view text, std::string_view flag_name) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        bad(flag_name, text, "expected LEFT-RIGHT");
    }
    return {packet::SeqNum(parse_number<std::uint32_t>(text.substr(0, dash), flag_name)),
            packet::SeqNum(parse_number<std::uint32_t>(text.substr(dash + 1), flag_name))};
}

packet::TcpTimestamps parse_timestamps(std::string_view text, std::string_view flag_name) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        bad(flag_name, text, "expected TSVAL:TSECR");
    }
    return {parse_number<std::uint32_t>(text.substr(0, colon), flag_name),
            parse_number<std::uint32_t>(text.substr(colon + 1), flag_name)};
}

std::pair<std::uint16_t, std::uint16_t> parse_port_range(std::string_view text,
                                                         std::string_view flag_name) {
    const auto dash = text.find('-');
    const auto low = parse_number<std::uint16_t>(text.substr(0, dash), flag_name);
    const auto high = dash == std::string_view::npos
                          ? low
                          : parse_number<std::uint16_t>(text.substr(dash + 1), flag_name);
    if (low == 0 || high < low) {
        bad(flag_name, text, "expected LOW-HIGH with 1 <= LOW <= HIGH");
    }
    return {low, high};
}

packet::IpAddress parse_address(std::string_view text, std::string_view flag_name) {
    auto address = packet::IpAddress::parse(text);
    if (!address) {
        bad(flag_name, text, "not an IPv4 or IPv6 address");
    }
    return *address;
}

packet::Endpoint parse_endpoint(std::string_view text, std::string_view flag_name) {
    auto endpoint = packet::Endpoint::parse(text);
    if (!endpoint || endpoint->port == 0) {
        bad(flag_name, text, "expected ADDR:PORT or [IPv6]:PORT with a port 1..65535");
    }
    return *endpoint;
}

AddressRange parse_cidr(std::string_view text, std::string_view flag_name) {
    const auto slash = text.find('/');
    AddressRange range;
    range.base = parse_address(text.substr(0, slash), flag_name);
    const unsigned bits = range.base.is_v4() ? 32 : 128;
    range.prefix = slash == std::string_view::npos
                       ? bits
                       : parse_number<unsigned>(text.substr(slash + 1), flag_name);
    if (range.prefix > bits) {
        bad(flag_name, text, "prefix length too long for the address family");
    }
    // Clear the host bits so at(0) is the network address.
    for (unsigned bit = range.prefix; bit < bits; ++bit) {
        range.base.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    }
    return range;
}

std::uint64_t AddressRange::size() const {
    const unsigned bits = base.is_v4() ? 32 : 128;
    const unsigned host_bits = bits - prefix;
    if (host_bits >= 16) {
        return 65536;
    }
    const std::uint64_t all = 1ULL << host_bits;
    // IPv4 networks of 4+ addresses: skip the network and broadcast addresses.
    return base.is_v4() && all >= 4 ? all - 2 : all;
}

packet::IpAddress AddressRange::at(std::uint64_t index) const {
    const unsigned bits = base.is_v4() ? 32 : 128;
    const bool skip_network = base.is_v4() && (bits - prefix) >= 2;
    std::uint64_t add = index + (skip_network ? 1 : 0);
    packet::IpAddress out = base;
    // Add to the low bytes with carry (host bits only ever grow within the prefix).
    for (int i = static_cast<int>(base.size()) - 1; i >= 0 && add != 0; --i) {
        const std::uint64_t sum = out.bytes[static_cast<std::size_t>(i)] + (add & 0xff);
        out.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sum);
        add = (add >> 8) + (sum >> 8);
    }
    return out;
}

double parse_rate(std::string_view text, std::string_view flag_name) {
    if (text == "max") {
        return 0;
    }
    try {
        const std::string s(text);
        std::size_t used = 0;
        const double rate = std::stod(s, &used);
        if (used == s.size() && rate > 0) {
            return rate;
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--" + std::string(flag_name) + " '" + std::string(text) +
                     "': expected packets per second (> 0) or max");
}

std::uint16_t check_u16(unsigned value, std::string_view flag_name) {
    if (value > 65535) {
        throw UsageError("--" + std::string(flag_name) + " must be 0..65535");
    }
    return static_cast<std::uint16_t>(value);
}

std::uint16_t check_port(unsigned value, std::string_view flag_name) {
    const std::uint16_t port = check_u16(value, flag_name);
    if (port == 0) {
        throw UsageError("--" + std::string(flag_name) + " must be 1..65535");
    }
    return port;
}

std::uint8_t check_wscale(unsigned shift) {
    if (shift > 14) {
        throw UsageError("--wscale must be 0..14 (RFC 7323)");
    }
    return static_cast<std::uint8_t>(shift);
}

std::uint8_t check_ttl(unsigned ttl) {
    if (ttl == 0 || ttl > 255) {
        throw UsageError("--ttl must be 1..255");
    }
    return static_cast<std::uint8_t>(ttl);
}

std::uint16_t default_segment_flags(std::string_view kind, bool has_ack) {
    namespace flag = packet::tcp_flag;
    if (kind == "data") {
        return flag::kPsh | flag::kAck;
    }
    if (kind == "fin") {
        return flag::kFin | flag::kAck;
    }
    return has_ack ? (flag::kRst | flag::kAck) : flag::kRst;
}

std::vector<std::uint8_t> pattern_payload(unsigned n) {
    if (n > 65000) {
        throw UsageError("--data must be at most 65000 bytes for one segment");
    }
    std::vector<std::uint8_t> payload;
    for (unsigned i = 0; i < n; ++i) {
        payload.push_back(payload_byte(i));
    }
    return payload;
}

}  // namespace tcplab::gen
