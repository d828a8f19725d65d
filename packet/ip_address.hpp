#pragma once
// IpAddress: an IPv4 or IPv6 address as a plain value (16 bytes, v4 in the first 4).
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace tcplab::packet {

struct IpAddress {
    enum class Family : std::uint8_t { v4, v6 };
    Family family = Family::v4;
    std::array<std::uint8_t, 16> bytes{};  // v4 uses bytes[0..3], the rest zero

    static IpAddress v4(std::uint32_t host_order);
    static IpAddress v4_bytes(const std::uint8_t* four) {
        IpAddress a;
        a.assign_v4(four);
        return a;
    }
    static IpAddress v6_bytes(const std::uint8_t* sixteen) {
        IpAddress a;
        a.family = Family::v6;
        std::memcpy(a.bytes.data(), sixteen, 16);
        return a;
    }
    static std::optional<IpAddress> parse(std::string_view text);  // "198.18.1.2" or "fd7c::1"
    // Makes this the IPv4 address `four`, in place: the per-frame parsers write both addresses
    // of every frame straight into their result, with the 16 bytes stored at once. (Built in a
    // temporary and copied, the copy reloads bytes stored in pieces and stalls on a
    // store-forwarding miss: that was a tenth of dissecting a frame.)
    void assign_v4(const std::uint8_t* four) {
        family = Family::v4;
        if constexpr (std::endian::native == std::endian::little) {
            std::uint32_t v;
            std::memcpy(&v, four, 4);
            const std::uint64_t words[2] = {v, 0};  // bytes 0..3 in memory order, then zeros
            std::memcpy(bytes.data(), words, 16);
        } else {
            bytes = {};
            std::memcpy(bytes.data(), four, 4);
        }
    }
    bool is_v4() const { return family == Family::v4; }
    std::size_t size() const { return is_v4() ? 4 : 16; }
    std::string to_string() const;
    // Never one end of a connection across a routed path: multicast/broadcast, link-local,
    // loopback, "this network" (0.0.0.0/8, ::). Such frames are the hosts' own chatter.
    bool is_scoped_or_group() const;
    // Two word compares: the defaulted one called memcmp, twice per frame in the stream lookup.
    friend bool operator==(const IpAddress& a, const IpAddress& b) {
        std::uint64_t x[2];
        std::uint64_t y[2];
        std::memcpy(x, a.bytes.data(), sizeof x);
        std::memcpy(y, b.bytes.data(), sizeof y);
        return a.family == b.family && ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    }
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
