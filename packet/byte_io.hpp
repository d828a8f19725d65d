#pragma once
// ByteReader / ByteWriter: the only way packet code touches raw bytes. Network byte order on the
// wire, host order in every value they return or take. The reader never reads past its span:
// callers check need(n) once per header ("validate once, then read"), then use the reads.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tcplab::packet {

// A 16-bit big-endian field read or rewritten in place, for code that edits a frame it has
// already bounds-checked (the forwarder's checksum fix-ups, the ARP/ND frames it builds).
inline std::uint16_t load_be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

class ByteReader {
public:
    // Defined inline: this is the per-packet path (dissect), and every read is a bounds check
    // plus a load that the compiler should fold into the caller.
    explicit ByteReader(std::span<const std::uint8_t> bytes, std::size_t base_offset = 0)
        : bytes_(bytes), base_(base_offset) {}

    std::size_t offset() const { return base_ + pos_; }  // absolute offset (base_offset + position)
    std::size_t remaining() const { return bytes_.size() - pos_; }
    bool need(std::size_t n) const { return n <= remaining(); }  // true if n more bytes can be read
    // The reads below return 0 / empty and set failed() when fewer bytes remain than asked.
    std::uint8_t u8() {
        if (!need(1)) return fail(), 0;
        return bytes_[pos_++];
    }
    std::uint16_t u16() {
        if (!need(2)) return fail(), 0;
        const auto v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    std::uint32_t u32() {
        if (!need(4)) return fail(), 0;
        const std::uint32_t v = (std::uint32_t{bytes_[pos_]} << 24) |
                                (std::uint32_t{bytes_[pos_ + 1]} << 16) |
                                (std::uint32_t{bytes_[pos_ + 2]} << 8) | bytes_[pos_ + 3];
        pos_ += 4;
        return v;
    }
    std::span<const std::uint8_t> bytes(std::size_t n) {
        if (!need(n)) return fail(), std::span<const std::uint8_t>{};
        auto out = bytes_.subspan(pos_, n);
        pos_ += n;
        return out;
    }
    void skip(std::size_t n) {
        if (!need(n)) {
            fail();
            pos_ =
                bytes_.size();  // a failed skip leaves nothing readable, never a partial position
            return;
        }
        pos_ += n;
    }
    std::span<const std::uint8_t> rest() const { return bytes_.subspan(pos_); }
    bool failed() const { return failed_; }

private:
    void fail() { failed_ = true; }

    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
    std::size_t base_ = 0;
    bool failed_ = false;
};

class ByteWriter {
public:
    explicit ByteWriter(std::vector<std::uint8_t>& out);
    void u8(std::uint8_t v);
    void u16(std::uint16_t v);
    void u32(std::uint32_t v);
    void bytes(std::span<const std::uint8_t> b);
    void zeros(std::size_t n);
    std::size_t size() const;
    // Overwrite a 16-bit field already written (e.g. a checksum or length), at absolute index.
    void patch_u16(std::size_t at, std::uint16_t v);

private:
    std::vector<std::uint8_t>& out_;
};

}  // namespace tcplab::packet
