#include "netem/forwarder/detail/neighbours.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

#include "packet/byte_io.hpp"
#include "packet/checksum.hpp"
#include "packet/link.hpp"

namespace tcplab::netem {

namespace {

constexpr std::uint8_t kIcmpv6 = 58;

void put_ethernet(std::uint8_t* p, const std::uint8_t* dst, const MacAddress& src,
                  std::uint16_t type) {
    std::memcpy(p, dst, 6);
    std::memcpy(p + 6, src.data(), 6);
    packet::store_be16(p + 12, type);
}

bool is_link_local(const packet::IpAddress& a) {
    return a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;
}

}  // namespace

InterfaceAddresses interface_addresses(const std::string& interface) {
    InterfaceAddresses out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return out;
    }
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || interface != a->ifa_name) {
            continue;
        }
        if (a->ifa_addr->sa_family == AF_INET && !out.ipv4) {
            out.ipv4 = packet::IpAddress::v4(
                ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr));
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            const auto v6 = packet::IpAddress::v6_bytes(
                reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr.s6_addr);
            if (!out.ipv6 || (is_link_local(v6) && !is_link_local(*out.ipv6))) {
                out.ipv6 = v6;
            }
        }
    }
    ::freeifaddrs(list);
    return out;
}

std::vector<std::uint8_t> arp_request(const MacAddress& own_mac, const packet::IpAddress& own_ipv4,
                                      const packet::IpAddress& target) {
    std::vector<std::uint8_t> arp(42, 0);
    const std::uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    put_ethernet(arp.data(), broadcast, own_mac, 0x0806);
    packet::store_be16(&arp[14], 1);       // hardware: Ethernet
    packet::store_be16(&arp[16], 0x0800);  // protocol: IPv4
    arp[18] = 6;
    arp[19] = 4;
    packet::store_be16(&arp[20], 1);  // request
    std::memcpy(&arp[22], own_mac.data(), 6);
    std::memcpy(&arp[28], own_ipv4.bytes.data(), 4);
    // target hardware address (32..37) stays zero: that is the question
    std::memcpy(&arp[38], target.bytes.data(), 4);
    return arp;
}

std::vector<std::uint8_t> neighbour_solicitation(const MacAddress& own_mac,
                                                 const packet::IpAddress& own_ipv6,
                                                 const packet::IpAddress& target) {
    constexpr std::size_t kIcmpLength = 24 + 8;  // NS + source link-layer address option
    std::vector<std::uint8_t> f(packet::kEthernetHeaderLength + 40 + kIcmpLength, 0);
    // Solicited-node group ff02::1:ffXX:XXXX (RFC 4291 §2.7.1) and its MAC 33:33:ff:XX:XX:XX.
    packet::IpAddress group = packet::IpAddress::v6_bytes(target.bytes.data());
    group.bytes.fill(0);
    group.bytes[0] = 0xff;
    group.bytes[1] = 0x02;
    group.bytes[11] = 0x01;
    group.bytes[12] = 0xff;
    std::memcpy(&group.bytes[13], &target.bytes[13], 3);
    const std::uint8_t group_mac[6] = {
        0x33, 0x33, 0xff, target.bytes[13], target.bytes[14], target.bytes[15]};
    put_ethernet(f.data(), group_mac, own_mac, packet::kEtherTypeIpv6);

    std::uint8_t* ip = &f[packet::kEthernetHeaderLength];
    ip[0] = 0x60;
    packet::store_be16(ip + 4, kIcmpLength);
    ip[6] = kIcmpv6;
    ip[7] = 255;  // RFC 4861: a receiver ignores ND with any other hop limit
    std::memcpy(ip + 8, own_ipv6.bytes.data(), 16);
    std::memcpy(ip + 24, group.bytes.data(), 16);

    std::uint8_t* icmp = ip + 40;
    icmp[0] = 135;  // Neighbour Solicitation, code 0
    std::memcpy(icmp + 8, target.bytes.data(), 16);
    icmp[24] = 1;  // option: source link-layer address, length 1 (8 bytes)
    icmp[25] = 1;
    std::memcpy(icmp + 26, own_mac.data(), 6);
    const packet::PseudoHeader pseudo{own_ipv6, group, kIcmpv6, kIcmpLength};
    packet::store_be16(icmp + 2, packet::transport_checksum(pseudo, {icmp, kIcmpLength}));
    return f;
}

std::optional<std::vector<std::uint8_t>> solicitation_for(std::span<const std::uint8_t> held,
                                                          const MacAddress& own_mac,
                                                          const InterfaceAddresses& own) {
    if (held.size() < packet::kEthernetHeaderLength) {
        return std::nullopt;
    }
    const std::uint16_t type = packet::load_be16(&held[12]);
    if (type == packet::kEtherTypeIpv4 && held.size() >= packet::kEthernetHeaderLength + 20) {
        // Without an address of our own, an ARP probe (sender 0.0.0.0, RFC 5227) is answered too.
        return arp_request(own_mac, own.ipv4.value_or(packet::IpAddress::v4(0)),
                           packet::IpAddress::v4_bytes(&held[packet::kEthernetHeaderLength + 16]));
    }
    if (type == packet::kEtherTypeIpv6 && held.size() >= packet::kEthernetHeaderLength + 40 &&
        own.ipv6) {
        return neighbour_solicitation(
            own_mac, *own.ipv6,
            packet::IpAddress::v6_bytes(&held[packet::kEthernetHeaderLength + 24]));
    }
    return std::nullopt;
}

}  // namespace tcplab::netem
