#pragma once
// Where a flood's frames go: the egress interface for a destination and the Ethernet addresses
// to put on the frames (AF_PACKET bypasses routing and neighbour resolution, so we do both
// once, up front). Asks the kernel through `ip -j route get` / `ip -j neigh`, in the calling
// thread's network namespace.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "packet/ip_address.hpp"
#include "packet/mac_address.hpp"

namespace tcplab::gen {

using packet::MacAddress;

struct EgressPath {
    std::string interface;  // e.g. "veth0"
    int ifindex = 0;
    packet::IpAddress source;    // the kernel's preferred source address for dst
    packet::IpAddress next_hop;  // the gateway, or dst itself when on-link
    MacAddress source_mac{};
    MacAddress next_hop_mac{};  // all zero on loopback
};

// Parses `ip -j route get` output (a JSON array with one route). Exposed for unit tests.
// Returns dev, prefsrc and gateway (empty when on-link). Throws UsageError on unexpected output.
struct RouteInfo {
    std::string dev;
    std::string prefsrc;
    std::string gateway;
};
RouteInfo parse_route_json(const std::string& json);
// Finds the lladdr of `address` in `ip -j neigh show` output; nullopt when absent or FAILED.
std::optional<MacAddress> parse_neigh_json(const std::string& json, const std::string& address);

// Throws EnvironmentError when dst has no route or its neighbour does not answer within `wait`.
EgressPath resolve_egress(const packet::IpAddress& dst, std::chrono::milliseconds wait);

}  // namespace tcplab::gen
