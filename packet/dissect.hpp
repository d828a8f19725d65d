#pragma once
// dissect(): one captured frame -> link, IP and TCP views in a single bounds-checked pass.
// This is the analyzer's and the forwarder's per-packet entry point, so it does not allocate
// (unless the TCP header carries unknown options).
#include <cstdint>
#include <optional>
#include <span>

#include "packet/ip_address.hpp"
#include "packet/link.hpp"
#include "packet/result.hpp"
#include "packet/tcp.hpp"

namespace tcplab::packet {

struct Dissected {
    IpAddress src;
    IpAddress dst;
    std::uint8_t ip_version = 0;       // 4 or 6
    std::uint8_t protocol = 0;         // upper-layer protocol (after IPv6 extension headers)
    std::size_t ip_offset = 0;         // offset of the IP header in the frame
    std::size_t transport_offset = 0;  // offset of the TCP/UDP header in the frame
    // Length of the upper-layer data per the IP header (total/payload length minus headers):
    // right even when the capture was cut by snaplen. This is what tshark's seglen is built on.
    std::uint32_t transport_length = 0;
    std::uint8_t tunnels = 0;  // dissect_innermost(): IP headers around this one
    bool is_fragment = false;
    bool is_first_fragment = true;
    bool is_tcp = false;  // true when tcp below is valid
    TcpHeader tcp;
    std::uint32_t tcp_payload_length = 0;  // transport_length - tcp.header_length() (0 if negative)
    std::size_t tcp_payload_offset = 0;    // offset of the payload in the frame
    std::uint32_t captured_payload = 0;    // payload bytes actually present in the frame
};

// Errors come from the layer that failed (offsets are relative to the frame start). A non-TCP
// packet is not an error: is_tcp stays false. A non-first fragment is not parsed past IP.
// dissect() describes the first IP packet of the frame: the one a router forwards.
Result<Dissected> dissect(LinkType link, std::span<const std::uint8_t> frame);
// The analyzer's view: through the encapsulations tshark decodes by default (MPLS, PPPoE,
// IP-in-IP, GRE and ERSPAN, VXLAN, Geneve, GTP-U, Teredo: packet/detail/encapsulation.hpp) to
// the innermost IP packet; `tunnels` counts the IP headers around it.
Result<Dissected> dissect_innermost(LinkType link, std::span<const std::uint8_t> frame);
// dissect_innermost() into `out`, reused from frame to frame (the analyzer's per-frame path: a
// Dissected built for every frame is 216 bytes zeroed each time). nullopt on success. Only the
// layers reached are filled: the IP fields when ip_version != 0, tcp and the payload fields when
// is_tcp; the others may still describe an earlier frame. After an error, none is meaningful.
std::optional<ParseError> dissect_innermost_into(LinkType link, std::span<const std::uint8_t> frame,
                                                 Dissected& out);
// dissect(), starting at an IP header (no link layer).
Result<Dissected> dissect_ip(std::span<const std::uint8_t> packet);
// Where dissect_innermost()'s IP header starts; for a frame it rejected, the last IP header it
// reached (nullopt: none reached).
std::optional<std::size_t> transport_ip_offset(LinkType link, std::span<const std::uint8_t> frame);

}  // namespace tcplab::packet
