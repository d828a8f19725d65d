#include "packet/byte_io.hpp"

namespace tcplab::packet {

// ByteReader is defined inline in the header (hot path); the writer lives here.
ByteWriter::ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

void ByteWriter::u8(std::uint8_t v) { out_.push_back(v); }

void ByteWriter::u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
}

void ByteWriter::u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
}

void ByteWriter::bytes(std::span<const std::uint8_t> b) {
    out_.insert(out_.end(), b.begin(), b.end());
}

void ByteWriter::zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }

std::size_t ByteWriter::size() const { return out_.size(); }

void ByteWriter::patch_u16(std::size_t at, std::uint16_t v) {
    // Patching outside what was written is a programming error, not bad input: grow-safe check.
    if (at + 2 > out_.size()) return;
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
}

}  // namespace tcplab::packet
