#include "packet/mac_address.hpp"

#include <cstdio>

namespace tcplab::packet {

std::optional<MacAddress> parse_mac(const std::string& text) {
    MacAddress mac{};
    unsigned v[6];
    if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4],
                    &v[5]) != 6) {
        return std::nullopt;
    }
    for (int i = 0; i < 6; ++i) {
        mac[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v[i]);
    }
    return mac;
}

}  // namespace tcplab::packet
