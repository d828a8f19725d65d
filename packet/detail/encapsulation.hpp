#pragma once
// Internal to packet/: the layers between a frame's link header and the IP packet that carries
// its TCP, decoded as tshark 4.0 decodes them. dissect() walks them one layer at a time:
// - after an Ethertype: 802.1Q / 802.1ad / 0x9100 tags, MPLS label stacks (then IPv4 or IPv6 by
//   the first nibble), PPPoE session (PPP protocol 0x0021 / 0x0057), Ethernet bridged in a tunnel
//   (0x6558);
// - inside IP: IP-in-IP (4), IPv6-in-IP (41), GRE (47: checksum, key and sequence fields, ERSPAN
//   types I, II and III), and on UDP the ports tshark decodes by default: VXLAN 4789, Geneve
//   6081, GTP-U 2152, Teredo 3544 (with its authentication and origin-indication headers).
// Every function reads only inside the frame; a header that does not fit is a ParseError.
#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/result.hpp"

namespace tcplab::packet::detail {

// What starts at `offset`: an Ethernet header, an IPv4 or IPv6 header, or nothing we decode.
struct Layer {
    enum class Kind : std::uint8_t { none, ethernet, ipv4, ipv6 };
    Kind kind = Kind::none;
    std::size_t offset = 0;
};

// How many Ethernet and IP headers one frame may nest (a tunnel inside a tunnel inside ...):
// tshark gives up at 500 protocol layers per frame (IP-in-IP about 496 deep), we at 250 headers.
// Each layer moves forward in the frame, so the walk ends anyway; this bounds its cost, and a
// frame nested deeper is counted as unsupported.
constexpr int kMaxLayers = 250;

bool is_vlan_tpid(std::uint16_t ether_type);

// The layer after an Ethertype field whose payload starts at `offset`.
Result<Layer> after_ether_type(std::span<const std::uint8_t> frame, std::uint16_t ether_type,
                               std::size_t offset);
// The layer after the Ethernet header at `offset`.
Result<Layer> after_ethernet(std::span<const std::uint8_t> frame, std::size_t offset);
// The layer a tunnel carries in an IP payload of protocol `protocol` starting at `offset`
// (none: not a tunnel we decode).
Result<Layer> after_ip(std::span<const std::uint8_t> frame, std::uint8_t protocol,
                       std::size_t offset);

}  // namespace tcplab::packet::detail
