#include "packet/byte_io.hpp"

namespace tcplab::packet {

ByteReader::ByteReader(std::span<const std::uint8_t> bytes, std::size_t base_offset)
    : bytes_(bytes), base_(base_offset) {}

std::size_t ByteReader::offset() const { return base_ + pos_; }
std::size_t ByteReader::remaining() const { return bytes_.size() - pos_; }
bool ByteReader::need(std::size_t n) const { return n <= remaining(); }
bool ByteReader::failed() const { return failed_; }

std::uint8_t ByteReader::u8() {
    if (!need(1)) {
        failed_ = true;
        return 0;
    }
    return bytes_[pos_++];
}

std::uint16_t ByteReader::u16() {
    if (!need(2)) {
        failed_ = true;
        return 0;
    }
    const auto v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
}

std::uint32_t ByteReader::u32() {
    if (!need(4)) {
        failed_ = true;
        return 0;
    }
    const std::uint32_t v = (std::uint32_t{bytes_[pos_]} << 24) |
                            (std::uint32_t{bytes_[pos_ + 1]} << 16) |
                            (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
}

std::span<const std::uint8_t> ByteReader::bytes(std::size_t n) {
    if (!need(n)) {
        failed_ = true;
        return {};
    }
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
}

void ByteReader::skip(std::size_t n) {
    if (!need(n)) {
        failed_ = true;
        pos_ = bytes_.size();  // a failed skip leaves nothing readable, never a partial position
        return;
    }
    pos_ += n;
}

std::span<const std::uint8_t> ByteReader::rest() const { return bytes_.subspan(pos_); }

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

void ByteWriter::bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

void ByteWriter::zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }

std::size_t ByteWriter::size() const { return out_.size(); }

void ByteWriter::patch_u16(std::size_t at, std::uint16_t v) {
    // Patching outside what was written is a programming error, not bad input: grow-safe check.
    if (at + 2 > out_.size()) return;
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
}

}  // namespace tcplab::packet
