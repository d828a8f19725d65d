#pragma once
// Internal to packet/: allocation-free variants of the public parsers for dissect()'s hot path.
// Not part of the public API (the public parse_ipv4 keeps IPv4 options in a vector).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "packet/ipv4.hpp"
#include "packet/ipv6.hpp"
#include "packet/result.hpp"
#include "packet/tcp.hpp"

namespace tcplab::packet::detail {

// Parses the IPv4 header into `out`; copies the options only when keep_options is set.
// Returns the header length in bytes (IHL * 4), which is what callers need when options are
// skipped (out.header_length() is then not meaningful).
Result<std::size_t> parse_ipv4_into(std::span<const std::uint8_t> bytes, Ipv4Header& out,
                                    bool keep_options);

// In-place variants: dissect() fills its result directly instead of moving headers (which
// carry vectors) through several Result<> layers. nullopt means success.
std::optional<ParseError> parse_ipv6_into(std::span<const std::uint8_t> bytes, Ipv6Chain& out);
std::optional<ParseError> parse_tcp_into(std::span<const std::uint8_t> bytes, TcpHeader& out);

}  // namespace tcplab::packet::detail
