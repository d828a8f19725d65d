#pragma once
// IpAddress: an IPv4 or IPv6 address as a plain value (16 bytes, v4 in the first 4).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcplab::packet {

struct IpAddress {
    enum class Family : std::uint8_t { v4, v6 };
    Family family = Family::v4;
    std::array<std::uint8_t, 16> bytes{};  // v4 uses bytes[0..3], the rest zero

    static IpAddress v4(std::uint32_t host_order);
    static IpAddress v4_bytes(const std::uint8_t* four);
    static IpAddress v6_bytes(const std::uint8_t* sixteen);
    static std::optional<IpAddress> parse(std::string_view text);  // "198.18.1.2" or "fd7c::1"
    bool is_v4() const { return family == Family::v4; }
    std::size_t size() const { return is_v4() ? 4 : 16; }
    std::string to_string() const;
    // Never one end of a connection across a routed path: multicast/broadcast, link-local,
    // loopback, "this network" (0.0.0.0/8, ::). Such frames are the hosts' own chatter.
    bool is_scoped_or_group() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

// "ADDR:PORT", "[v6]:PORT" (and bare "v6" with no port when allow_no_port).
struct Endpoint {
    IpAddress address;
    std::uint16_t port = 0;
    static std::optional<Endpoint> parse(std::string_view text);
    std::string to_string() const;  // 198.18.1.2:80, [fd7c::2]:80
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
    friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

}  // namespace tcplab::packet
