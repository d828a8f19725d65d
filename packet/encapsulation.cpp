// The encapsulations dissect() looks through (see detail/encapsulation.hpp). Each header is
// bounds-checked before it is read; offsets in errors are frame offsets.
#include "packet/detail/encapsulation.hpp"

#include <algorithm>

#include "packet/byte_io.hpp"
#include "packet/ipv4.hpp"
#include "packet/link.hpp"

namespace tcplab::packet::detail {

namespace {

using Kind = Layer::Kind;

constexpr std::uint16_t kEtherTypeVlanLegacy = 0x9100;  // pre-802.1ad QinQ outer tag
constexpr std::uint16_t kEtherTypeMplsUnicast = 0x8847;
constexpr std::uint16_t kEtherTypeMplsMulticast = 0x8848;
constexpr std::uint16_t kEtherTypePppoeSession = 0x8864;
constexpr std::uint16_t kEtherTypeBridgedEthernet = 0x6558;  // transparent Ethernet bridging
constexpr std::uint16_t kEtherTypeErspan = 0x88BE;           // ERSPAN types I and II, in GRE
constexpr std::uint16_t kEtherTypeErspan3 = 0x22EB;          // ERSPAN type III, in GRE
constexpr std::uint16_t kPppIpv4 = 0x0021;
constexpr std::uint16_t kPppIpv6 = 0x0057;

constexpr std::uint8_t kIpProtoIpv4 = 4;
constexpr std::uint8_t kIpProtoIpv6 = 41;
constexpr std::uint8_t kIpProtoGre = 47;

constexpr std::uint16_t kPortVxlan = 4789;
constexpr std::uint16_t kPortGeneve = 6081;
constexpr std::uint16_t kPortGtpU = 2152;
constexpr std::uint16_t kPortTeredo = 3544;

constexpr std::uint16_t kGreChecksum = 0x8000;
constexpr std::uint16_t kGreRouting = 0x4000;
constexpr std::uint16_t kGreKey = 0x2000;
constexpr std::uint16_t kGreSequence = 0x1000;

bool fits(std::span<const std::uint8_t> frame, std::size_t offset, std::size_t n) {
    return offset <= frame.size() && n <= frame.size() - offset;
}

std::uint16_t be16_at(std::span<const std::uint8_t> frame, std::size_t offset) {
    return load_be16(frame.data() + offset);
}

ParseError truncated(std::size_t offset, const char* what) {
    return ParseError{ErrorCode::truncated, offset, what};
}

// IPv4 or IPv6 by the version nibble of the first byte, as tshark guesses after an MPLS label
// stack (GTP-U's guess is narrower: see after_gtp_u).
Layer ip_by_version(std::span<const std::uint8_t> frame, std::size_t offset) {
    if (offset >= frame.size()) return Layer{};
    const int version = frame[offset] >> 4;
    if (version == 4) return Layer{Kind::ipv4, offset};
    if (version == 6) return Layer{Kind::ipv6, offset};
    return Layer{};
}

Result<Layer> after_mpls(std::span<const std::uint8_t> frame, std::size_t offset) {
    for (;;) {  // 4 bytes per label: ends at the bottom of the stack or the end of the frame
        if (!fits(frame, offset, 4)) return truncated(offset, "MPLS label stack truncated");
        const bool bottom_of_stack = (frame[offset + 2] & 0x01) != 0;
        offset += 4;
        if (bottom_of_stack) return ip_by_version(frame, offset);
    }
}

// PPPoE session header (version/type, code, session id, length), then the PPP protocol field.
Result<Layer> after_pppoe_session(std::span<const std::uint8_t> frame, std::size_t offset) {
    if (!fits(frame, offset, 8)) return truncated(offset, "PPPoE session header truncated");
    const std::uint16_t protocol = be16_at(frame, offset + 6);
    if (protocol == kPppIpv4) return Layer{Kind::ipv4, offset + 8};
    if (protocol == kPppIpv6) return Layer{Kind::ipv6, offset + 8};
    return Layer{};
}

// ERSPAN type II (version 1: 8 bytes) or type III (version 2: 12 bytes, plus an 8-byte
// platform-specific subheader when its O bit is set), then the mirrored Ethernet frame.
Result<Layer> after_erspan(std::span<const std::uint8_t> frame, std::size_t offset) {
    if (!fits(frame, offset, 8)) return truncated(offset, "ERSPAN header truncated");
    const int version = frame[offset] >> 4;
    if (version == 1) return Layer{Kind::ethernet, offset + 8};
    if (version != 2)
        return ParseError{ErrorCode::bad_version, offset, "ERSPAN version neither 1 nor 2"};
    if (!fits(frame, offset, 12)) return truncated(offset, "ERSPAN type III header truncated");
    const bool platform_subheader = (frame[offset + 11] & 0x01) != 0;
    return Layer{Kind::ethernet, offset + (platform_subheader ? 20 : 12)};
}

// GRE (RFC 2784 / 2890, version 0): optional checksum, key and sequence fields, and the old
// RFC 1701 source route. ERSPAN is told apart by the GRE sequence bit, as tshark does: type I
// has none and carries the Ethernet frame bare.
Result<Layer> after_gre(std::span<const std::uint8_t> frame, std::size_t offset) {
    if (!fits(frame, offset, 4)) return truncated(offset, "GRE header truncated");
    const std::uint16_t flags = be16_at(frame, offset);
    const std::uint16_t protocol = be16_at(frame, offset + 2);
    if ((flags & 0x7) != 0) return Layer{};  // version 1 is PPTP's enhanced GRE (PPP): not decoded
    std::size_t at = offset + 4;
    at += (flags & (kGreChecksum | kGreRouting)) != 0 ? 4 : 0;
    at += (flags & kGreKey) != 0 ? 4 : 0;
    at += (flags & kGreSequence) != 0 ? 4 : 0;
    if (!fits(frame, offset, at - offset)) return truncated(offset, "GRE header truncated");
    if ((flags & kGreRouting) != 0) {
        for (;;) {  // source route entries up to the empty one, each at least 4 bytes long
            if (!fits(frame, at, 4)) return truncated(at, "GRE source route truncated");
            const std::uint16_t family = be16_at(frame, at);
            const std::size_t length = frame[at + 3];
            at += 4 + length;
            if (family == 0 && length == 0) break;
        }
    }
    if (protocol == kEtherTypeErspan && (flags & kGreSequence) == 0)
        return Layer{Kind::ethernet, at};
    if (protocol == kEtherTypeErspan || protocol == kEtherTypeErspan3)
        return after_erspan(frame, at);
    return after_ether_type(frame, protocol, at);
}

// Geneve (RFC 8926): 8 bytes, the options (length in 4-byte units), then a payload named by
// an Ethertype.
Result<Layer> after_geneve(std::span<const std::uint8_t> frame, std::size_t offset) {
    if (!fits(frame, offset, 8)) return truncated(offset, "Geneve header truncated");
    if ((frame[offset] >> 6) != 0)
        return ParseError{ErrorCode::bad_version, offset, "Geneve version is not 0"};
    const std::size_t options = std::size_t{frame[offset] & 0x3Fu} * 4;
    if (!fits(frame, offset, 8 + options)) return truncated(offset, "Geneve options truncated");
    return after_ether_type(frame, be16_at(frame, offset + 2), offset + 8 + options);
}

// GTP-U version 1: only a G-PDU (message type 255) carries user data. The sequence / N-PDU /
// next-extension fields are present when any of their flags is set, and the extension headers
// chain by their last byte.
Result<Layer> after_gtp_u(std::span<const std::uint8_t> frame, std::size_t offset) {
    if (!fits(frame, offset, 8)) return truncated(offset, "GTP-U header truncated");
    const std::uint8_t flags = frame[offset];
    if ((flags >> 5) != 1 || frame[offset + 1] != 0xFF) return Layer{};
    std::size_t at = offset + 8;
    if ((flags & 0x07) != 0) {
        if (!fits(frame, at, 4)) return truncated(at, "GTP-U optional fields truncated");
        std::uint8_t next = (flags & 0x04) != 0 ? frame[at + 3] : 0;
        at += 4;
        while (next != 0) {  // each extension is at least 4 bytes
            if (!fits(frame, at, 1) || frame[at] == 0 || !fits(frame, at, frame[at] * 4u))
                return truncated(at, "GTP-U extension header truncated");
            const std::size_t length = frame[at] * 4u;
            next = frame[at + length - 1];
            at += length;
        }
    }
    if (at >= frame.size()) return Layer{};
    const std::uint8_t first = frame[at];
    // tshark's guess: 0x45..0x4e is IPv4 (0x4f is likelier PPP), 0x6X IPv6; the rest PPP.
    if (first >= 0x45 && first <= 0x4E) return Layer{Kind::ipv4, at};
    if ((first >> 4) == 6) return Layer{Kind::ipv6, at};
    return Layer{};
}

// Teredo (RFC 4380): an optional authentication header (indicator 1), then an optional origin
// indication (indicator 0, 8 bytes), then the IPv6 packet.
Result<Layer> after_teredo(std::span<const std::uint8_t> frame, std::size_t offset) {
    std::size_t at = offset;
    if (fits(frame, at, 2) && be16_at(frame, at) == 1) {
        if (!fits(frame, at, 4)) return truncated(at, "Teredo authentication header truncated");
        // indicator, client id length, auth value length, id, value, 8-byte nonce, confirmation
        at += 4 + std::size_t{frame[at + 2]} + frame[at + 3] + 8 + 1;
    }
    if (fits(frame, at, 2) && be16_at(frame, at) == 0) {
        if (!fits(frame, at, 8)) return truncated(at, "Teredo origin indication truncated");
        at += 8;
    }
    if (!fits(frame, at, 1)) return Layer{};
    return (frame[at] >> 4) == 6 ? Layer{Kind::ipv6, at} : Layer{};
}

// tshark picks a UDP payload's dissector by the lower port first, then the higher.
Result<Layer> after_udp(std::span<const std::uint8_t> frame, std::size_t offset) {
    if (!fits(frame, offset, 8)) return truncated(offset, "UDP header truncated");
    const std::uint16_t a = be16_at(frame, offset);
    const std::uint16_t b = be16_at(frame, offset + 2);
    const std::size_t payload = offset + 8;
    for (const std::uint16_t port : {std::min(a, b), std::max(a, b)}) {
        switch (port) {
            case kPortVxlan:
                if (!fits(frame, payload, 8)) return truncated(payload, "VXLAN header truncated");
                return Layer{Kind::ethernet, payload + 8};
            case kPortGeneve:
                return after_geneve(frame, payload);
            case kPortGtpU:
                return after_gtp_u(frame, payload);
            case kPortTeredo:
                return after_teredo(frame, payload);
            default:
                break;
        }
    }
    return Layer{};
}

}  // namespace

bool is_vlan_tpid(std::uint16_t ether_type) {
    return ether_type == kEtherTypeVlan || ether_type == kEtherTypeQinQ ||
           ether_type == kEtherTypeVlanLegacy;
}

Result<Layer> after_ether_type(std::span<const std::uint8_t> frame, std::uint16_t ether_type,
                               std::size_t offset) {
    for (;;) {  // 4 bytes per VLAN tag: ends at another type or the end of the frame
        switch (ether_type) {
            case kEtherTypeIpv4:
                return Layer{Kind::ipv4, offset};
            case kEtherTypeIpv6:
                return Layer{Kind::ipv6, offset};
            case kEtherTypeBridgedEthernet:
                return Layer{Kind::ethernet, offset};
            case kEtherTypeMplsUnicast:
            case kEtherTypeMplsMulticast:
                return after_mpls(frame, offset);
            case kEtherTypePppoeSession:
                return after_pppoe_session(frame, offset);
            default:
                break;
        }
        if (!is_vlan_tpid(ether_type)) return Layer{};
        if (!fits(frame, offset, 4)) return truncated(offset, "VLAN tag truncated");
        ether_type = be16_at(frame, offset + 2);
        offset += 4;
    }
}

Result<Layer> after_ethernet(std::span<const std::uint8_t> frame, std::size_t offset) {
    if (!fits(frame, offset, kEthernetHeaderLength))
        return truncated(offset, "Ethernet header truncated");
    return after_ether_type(frame, be16_at(frame, offset + 12), offset + kEthernetHeaderLength);
}

Result<Layer> after_ip(std::span<const std::uint8_t> frame, std::uint8_t protocol,
                       std::size_t offset) {
    switch (protocol) {
        case kIpProtoIpv4:
            return Layer{Kind::ipv4, offset};
        case kIpProtoIpv6:
            return Layer{Kind::ipv6, offset};
        case kIpProtoGre:
            return after_gre(frame, offset);
        case kIpProtoUdp:
            return after_udp(frame, offset);
        default:
            return Layer{};
    }
}

}  // namespace tcplab::packet::detail
