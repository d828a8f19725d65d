#pragma once
// Link layers: Ethernet II (+802.1Q / QinQ), Linux cooked SLL and SLL2, BSD loopback (DLT_NULL),
// raw IP. parse_link() strips the link header and says which network protocol follows.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "packet/mac_address.hpp"
#include "packet/result.hpp"

namespace tcplab::packet {

// pcap LINKTYPE_* values we decode.
enum class LinkType : std::uint32_t {
    null_loopback = 0,  // BSD loopback: 4-byte host-order AF_ value
    ethernet = 1,
    raw = 101,   // raw IPv4/IPv6 (version nibble decides)
    loop = 108,  // OpenBSD loopback: 4-byte network-order AF_ value
    linux_sll = 113,
    ipv4 = 228,
    ipv6 = 229,
    linux_sll2 = 276,
};

bool is_supported(std::uint32_t linktype);

constexpr std::size_t kEthernetHeaderLength = 14;  // without VLAN tags
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr std::uint16_t kEtherTypeVlan = 0x8100;
constexpr std::uint16_t kEtherTypeQinQ = 0x88A8;

struct LinkView {
    std::uint16_t ether_type = 0;    // kEtherTypeIpv4 / kEtherTypeIpv6 / other
    std::size_t network_offset = 0;  // where the network header starts in the frame
    std::uint8_t vlan_count = 0;
};

// Strips the link header of one captured frame. Errors: truncated, unsupported.
Result<LinkView> parse_link(LinkType type, std::span<const std::uint8_t> frame);

struct EthernetHeader {
    MacAddress dst{};
    MacAddress src{};
    std::vector<std::uint16_t> vlan_tags;  // TCI values, outermost first
    std::uint16_t ether_type = kEtherTypeIpv4;
};
void write_ethernet(const EthernetHeader& header, std::vector<std::uint8_t>& out);

}  // namespace tcplab::packet
