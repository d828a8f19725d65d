#include "packet/checksum.hpp"

namespace tcplab::packet {

void ChecksumAccumulator::add(std::span<const std::uint8_t> bytes) {
    std::size_t i = 0;
    if (odd_ && !bytes.empty()) {  // complete the 16-bit word started by the previous add()
        sum_ += bytes[0];
        odd_ = false;
        i = 1;
    }
    for (; i + 1 < bytes.size(); i += 2) {
        sum_ += (std::uint32_t{bytes[i]} << 8) | bytes[i + 1];
    }
    if (i < bytes.size()) {  // a trailing odd byte is the high half of a word (RFC 1071 4.1)
        sum_ += std::uint32_t{bytes[i]} << 8;
        odd_ = true;
    }
}

void ChecksumAccumulator::add_u16(std::uint16_t v) {
    const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    add(b);
}

void ChecksumAccumulator::add_u32(std::uint32_t v) {
    add_u16(static_cast<std::uint16_t>(v >> 16));
    add_u16(static_cast<std::uint16_t>(v));
}

std::uint16_t ChecksumAccumulator::fold() const {
    std::uint64_t s = sum_;
    while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
    return static_cast<std::uint16_t>(~s);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
    ChecksumAccumulator acc;
    acc.add(bytes);
    return acc.fold();
}

std::uint16_t transport_checksum(const PseudoHeader& pseudo,
                                 std::span<const std::uint8_t> segment) {
    ChecksumAccumulator acc;
    acc.add({pseudo.src.bytes.data(), pseudo.src.size()});
    acc.add({pseudo.dst.bytes.data(), pseudo.dst.size()});
    if (pseudo.src.is_v4()) {  // RFC 9293 3.1: zero, protocol, 16-bit TCP length
        acc.add_u16(pseudo.protocol);
        acc.add_u16(static_cast<std::uint16_t>(pseudo.upper_length));
    } else {  // RFC 8200 8.1: 32-bit upper-layer length, 3 zero bytes, next header
        acc.add_u32(pseudo.upper_length);
        acc.add_u32(pseudo.protocol);
    }
    acc.add(segment);
    return acc.fold();
}

}  // namespace tcplab::packet
