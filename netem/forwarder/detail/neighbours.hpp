#pragma once
// How the forwarder finds the MAC of the neighbour on an egress side when nobody told it: like a
// kernel router, it holds the frame and asks — an ARP request for an IPv4 destination, an ICMPv6
// Neighbour Solicitation (RFC 4861 §7.2.2, to the solicited-node multicast address, with our
// link-layer address) for an IPv6 one. The answer is addressed to the router's MAC; the forwarder
// learns the neighbour from its source MAC like from any frame of that side. Questions asked of
// the router itself (ARP, NS for its addresses) are left to the router's kernel.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netem/forwarder/frame_io.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::netem {

// The router's addresses on one interface: the sender of our questions.
struct InterfaceAddresses {
    std::optional<packet::IpAddress> ipv4;
    std::optional<packet::IpAddress> ipv6;  // link-local preferred, as a kernel router would
};
// Reads the calling thread's namespace (getifaddrs). Missing addresses stay empty.
InterfaceAddresses interface_addresses(const std::string& interface);

// Broadcast ARP request "who has `target`" (42 bytes).
std::vector<std::uint8_t> arp_request(const MacAddress& own_mac, const packet::IpAddress& own_ipv4,
                                      const packet::IpAddress& target);
// Neighbour Solicitation for `target` from `own_ipv6` (hop limit 255, source link-layer address
// option, checksum filled in), to target's solicited-node multicast group (86 bytes).
std::vector<std::uint8_t> neighbour_solicitation(const MacAddress& own_mac,
                                                 const packet::IpAddress& own_ipv6,
                                                 const packet::IpAddress& target);
// The question that resolves the destination of `held` (an Ethernet frame waiting for the
// neighbour), or nothing when it is neither IPv4 nor IPv6, or IPv6 and the interface has no
// IPv6 address (an NS needs a source; the neighbour is then learned when it first speaks).
std::optional<std::vector<std::uint8_t>> solicitation_for(std::span<const std::uint8_t> held,
                                                          const MacAddress& own_mac,
                                                          const InterfaceAddresses& own);

}  // namespace tcplab::netem
