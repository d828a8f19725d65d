#include "base/hash.hpp"

namespace tcplab {

std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint64_t hash_combine(std::uint64_t h, std::uint64_t v) { return mix64(h ^ mix64(v)); }

std::uint64_t hash_bytes(std::span<const std::uint8_t> bytes, std::uint64_t h) {
    // 8 bytes at a time through the mixer; good enough to tell payloads apart, not cryptographic.
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t w = 0;
        for (std::size_t k = 0; k < 8; ++k) {
            w |= std::uint64_t{bytes[i + k]} << (8 * k);
        }
        h = hash_combine(h, w);
    }
    std::uint64_t tail = bytes.size();
    for (std::size_t k = 0; i + k < bytes.size(); ++k) {
        tail ^= std::uint64_t{bytes[i + k]} << (8 * (k + 1));
    }
    return hash_combine(h, tail);
}

}  // namespace tcplab
