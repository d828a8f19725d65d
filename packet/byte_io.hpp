#pragma once
// ByteReader / ByteWriter: the only way packet code touches raw bytes. Network byte order on the
// wire, host order in every value they return or take. The reader never reads past its span:
// callers check need(n) once per header ("validate once, then read"), then use the reads.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tcplab::packet {

class ByteReader {
public:
    explicit ByteReader(std::span<const std::uint8_t> bytes, std::size_t base_offset = 0);

    std::size_t offset() const;        // absolute offset (base_offset + position)
    std::size_t remaining() const;
    bool need(std::size_t n) const;    // true if n more bytes can be read
    // The reads below return 0 / empty and set failed() when fewer bytes remain than asked.
    std::uint8_t u8();
    std::uint16_t u16();
    std::uint32_t u32();
    std::span<const std::uint8_t> bytes(std::size_t n);
    void skip(std::size_t n);
    std::span<const std::uint8_t> rest() const;
    bool failed() const;

private:
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
