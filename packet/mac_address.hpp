#pragma once
// An Ethernet (EUI-48) address, as the generator, the forwarder and the scenario runner use it.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace tcplab::packet {

using MacAddress = std::array<std::uint8_t, 6>;

// "02:00:5e:10:00:02" (as `ip -j` prints it); nullopt for anything else.
std::optional<MacAddress> parse_mac(const std::string& text);

}  // namespace tcplab::packet
