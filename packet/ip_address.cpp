#include "packet/ip_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace tcplab::packet {

IpAddress IpAddress::v4(std::uint32_t host_order) {
    IpAddress a;
    a.family = Family::v4;
    a.bytes[0] = static_cast<std::uint8_t>(host_order >> 24);
    a.bytes[1] = static_cast<std::uint8_t>(host_order >> 16);
    a.bytes[2] = static_cast<std::uint8_t>(host_order >> 8);
    a.bytes[3] = static_cast<std::uint8_t>(host_order);
    return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    // inet_pton needs a NUL-terminated string; longest valid text form is 45 characters.
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    std::uint8_t raw[16] = {};
    if (inet_pton(AF_INET, buf, raw) == 1) return v4_bytes(raw);
    if (inet_pton(AF_INET6, buf, raw) == 1) return v6_bytes(raw);
    return std::nullopt;
}

std::string IpAddress::to_string() const {
    if (is_v4()) {
        // Dotted decimal as inet_ntop writes it, without its sprintf: a report writes the
        // endpoints of every stream a dozen times.
        char text[16];
        char* end = text;
        for (int i = 0; i < 4; ++i) {
            if (i != 0) *end++ = '.';
            end = std::to_chars(end, text + sizeof text, bytes[i]).ptr;
        }
        return std::string(text, end);
    }
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
    return buf;
}

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

}  // namespace

bool IpAddress::is_scoped_or_group() const {
    if (is_v4()) {
        return bytes[0] >= 224 || bytes[0] == 127 || bytes[0] == 0 ||
               (bytes[0] == 169 && bytes[1] == 254);
    }
    static constexpr std::array<std::uint8_t, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                            0, 0, 0, 0, 0, 0, 0, 1};
    return bytes[0] == 0xff || (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) ||
           bytes == kLoopback || bytes == std::array<std::uint8_t, 16>{};
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {  // [v6]:port
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {  // v4:port (an unbracketed v6 address is ambiguous with a port, so it is refused)
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    auto address = IpAddress::parse(host);
    auto number = parse_port(port);
    if (!address || !number) return std::nullopt;
    if (text.front() == '[' && address->is_v4()) return std::nullopt;  // "[1.2.3.4]:80" is not v6
    return Endpoint{*address, *number};
}

std::string Endpoint::to_string() const {
    // Appended piecewise: `"[" + std::string` trips GCC 12's -Wrestrict false positive at -O3.
    std::string out;
    if (!address.is_v4()) out += '[';
    out += address.to_string();
    if (!address.is_v4()) out += ']';
    out += ':';
    out += std::to_string(port);
    return out;
}

}  // namespace tcplab::packet
