#pragma once
// Fast non-cryptographic hashing: the splitmix64 finaliser and two combiners built on it. The
// forwarder names packets with them (reproducible fault decisions) and the path diff keys packets
// with them; neither needs resistance to crafted input, only good mixing.
#include <cstdint>
#include <span>

namespace tcplab {

std::uint64_t mix64(std::uint64_t x);  // splitmix64 finaliser
std::uint64_t hash_combine(std::uint64_t h, std::uint64_t v);
std::uint64_t hash_bytes(std::span<const std::uint8_t> bytes, std::uint64_t h = 0);

}  // namespace tcplab
