#pragma once
// Internal to packet/: allocation-free variants of the public parsers for dissect()'s hot path.
// Not part of the public API.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "packet/byte_io.hpp"
#include "packet/ipv4.hpp"
#include "packet/ipv6.hpp"
#include "packet/result.hpp"
#include "packet/tcp.hpp"

namespace tcplab::packet::detail {

// Checks the IPv4 header at the start of `bytes` -- version, IHL, the whole header present, a
// total length of 0 or at least the header -- and returns its length in bytes (IHL * 4). Both
// parse_ipv4() and dissect() read the fields after it: dissect() only the few it needs, straight
// from the frame. Inline: it is the first step of every IPv4 frame dissected.
inline Result<std::size_t> check_ipv4(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return ParseError{ErrorCode::truncated, 0, "IPv4 header truncated"};
    if ((bytes[0] >> 4) != 4) return ParseError{ErrorCode::bad_version, 0, "IP version is not 4"};
    if (bytes.size() < 20) return ParseError{ErrorCode::truncated, 0, "IPv4 header truncated"};
    const std::size_t header_length = std::size_t{bytes[0] & 0x0Fu} * 4;
    if (header_length < 20)
        return ParseError{ErrorCode::bad_header_length, 0, "IPv4 header length (IHL) below 5"};
    if (header_length > bytes.size())
        return ParseError{ErrorCode::bad_header_length, 0, "IPv4 header length past the end"};
    // Total length 0 is what TSO hands a capture before segmentation; like Wireshark
    // (ip.tso_support, on by default) the length is then taken from the captured bytes.
    const std::size_t total_length = load_be16(bytes.data() + 2);
    if (total_length != 0 && total_length < header_length)
        return ParseError{ErrorCode::bad_total_length, 2, "IPv4 total length below header length"};
    return header_length;
}

// In-place variants: dissect() fills its result directly instead of moving headers (which
// carry vectors) through several Result<> layers. nullopt means success.
std::optional<ParseError> parse_ipv6_into(std::span<const std::uint8_t> bytes, Ipv6Chain& out);
std::optional<ParseError> parse_tcp_into(std::span<const std::uint8_t> bytes, TcpHeader& out);

}  // namespace tcplab::packet::detail
