#include "packet/link.hpp"

#include "packet/byte_io.hpp"
#include "packet/detail/encapsulation.hpp"

namespace tcplab::packet {

namespace {

// BSD address-family values for IPv6 differ per OS (Linux 10, NetBSD/OpenBSD 24, FreeBSD 28,
// macOS 30); libpcap documents all of them for LINKTYPE_NULL/LOOP.
std::uint16_t ether_type_of_af(std::uint32_t af) {
    switch (af) {
        case 2:
            return kEtherTypeIpv4;
        case 10:
        case 24:
        case 28:
        case 30:
            return kEtherTypeIpv6;
        default:
            return 0;
    }
}

// Skips 802.1Q / QinQ tags starting at reader's position; ether_type is the last type read.
Result<LinkView> finish_with_tags(ByteReader& r, std::uint16_t ether_type) {
    LinkView view;
    while (detail::is_vlan_tpid(ether_type)) {
        if (!r.need(4)) return ParseError{ErrorCode::truncated, r.offset(), "VLAN tag truncated"};
        r.u16();  // TCI
        ether_type = r.u16();
        ++view.vlan_count;
    }
    view.ether_type = ether_type;
    view.network_offset = r.offset();
    return view;
}

Result<LinkView> parse_raw(std::span<const std::uint8_t> frame) {
    if (frame.empty()) return ParseError{ErrorCode::truncated, 0, "raw IP frame is empty"};
    const int version = frame[0] >> 4;
    if (version == 4) return LinkView{kEtherTypeIpv4, 0, 0};
    if (version == 6) return LinkView{kEtherTypeIpv6, 0, 0};
    return ParseError{ErrorCode::bad_version, 0, "raw IP frame with IP version neither 4 nor 6"};
}

}  // namespace

bool is_supported(std::uint32_t linktype) {
    switch (static_cast<LinkType>(linktype)) {
        case LinkType::null_loopback:
        case LinkType::ethernet:
        case LinkType::raw:
        case LinkType::loop:
        case LinkType::linux_sll:
        case LinkType::ipv4:
        case LinkType::ipv6:
        case LinkType::linux_sll2:
            return true;
    }
    return false;
}

Result<LinkView> parse_link(LinkType type, std::span<const std::uint8_t> frame) {
    ByteReader r(frame);
    switch (type) {
        case LinkType::ethernet: {
            if (!r.need(14))
                return ParseError{ErrorCode::truncated, 0, "Ethernet header truncated"};
            r.skip(12);  // destination and source MAC
            return finish_with_tags(r, r.u16());
        }
        case LinkType::linux_sll: {
            // packet type, ARPHRD, address length, 8 address bytes, then the protocol at 14.
            if (!r.need(16))
                return ParseError{ErrorCode::truncated, 0, "Linux SLL header truncated"};
            r.skip(14);
            return finish_with_tags(r, r.u16());
        }
        case LinkType::linux_sll2: {
            // protocol first, then reserved, ifindex, ARPHRD, packet type, address length, address.
            if (!r.need(20))
                return ParseError{ErrorCode::truncated, 0, "Linux SLL2 header truncated"};
            const std::uint16_t protocol = r.u16();
            r.skip(18);
            return finish_with_tags(r, protocol);
        }
        case LinkType::null_loopback: {
            if (!r.need(4)) return ParseError{ErrorCode::truncated, 0, "loopback header truncated"};
            // The AF value is in the *capturing* host's byte order. AF values are small, so a value
            // with the high half set was written in the other byte order (libpcap does the same).
            const auto b = r.bytes(4);
            std::uint32_t af = std::uint32_t{b[0]} | (std::uint32_t{b[1]} << 8) |
                               (std::uint32_t{b[2]} << 16) | (std::uint32_t{b[3]} << 24);
            if ((af & 0xFFFF0000u) != 0) {
                af = std::uint32_t{b[3]} | (std::uint32_t{b[2]} << 8) |
                     (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[0]} << 24);
            }
            return LinkView{ether_type_of_af(af), 4, 0};
        }
        case LinkType::loop: {
            if (!r.need(4)) return ParseError{ErrorCode::truncated, 0, "loop header truncated"};
            return LinkView{ether_type_of_af(r.u32()), 4, 0};
        }
        case LinkType::raw:
            return parse_raw(frame);
        case LinkType::ipv4:
            return LinkView{kEtherTypeIpv4, 0, 0};
        case LinkType::ipv6:
            return LinkView{kEtherTypeIpv6, 0, 0};
    }
    return ParseError{ErrorCode::unsupported, 0, "unsupported link type"};
}

void write_ethernet(const EthernetHeader& header, std::vector<std::uint8_t>& out) {
    ByteWriter w(out);
    w.bytes(header.dst);
    w.bytes(header.src);
    // 802.1ad: with stacked tags the outer ones carry TPID 0x88A8, the innermost 0x8100.
    for (std::size_t i = 0; i < header.vlan_tags.size(); ++i) {
        const bool innermost = i + 1 == header.vlan_tags.size();
        w.u16(innermost ? kEtherTypeVlan : kEtherTypeQinQ);
        w.u16(header.vlan_tags[i]);
    }
    w.u16(header.ether_type);
}

}  // namespace tcplab::packet
