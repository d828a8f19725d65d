#pragma once
// Byte-level writers for the odd captures of the hostile corpus: every field is written exactly
// as given (lying lengths, unknown block types, impossible timestamps), which libpcap's own
// dumper would refuse to do.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "capture_layout.hpp"

namespace tcplab::hostile {

// One record of a real capture, decoded from a classic pcap file.
struct SourceRecord {
    std::uint32_t seconds = 0;
    std::uint32_t fraction = 0;  // micro- or nanoseconds, as in the file
    std::uint32_t wire_length = 0;
    std::vector<std::uint8_t> data;
};

// The records of a classic pcap described by `layout`.
std::vector<SourceRecord> pcap_records(const std::vector<std::uint8_t>& bytes,
                                       const CaptureLayout& layout);

class PcapWriter {
public:
    static constexpr std::uint32_t kMicroMagic = 0xA1B2C3D4;
    static constexpr std::uint32_t kNanoMagic = 0xA1B23C4D;

    PcapWriter(std::uint32_t linktype, std::uint32_t snaplen = 262144,
               std::uint32_t magic = kMicroMagic, bool big_endian = false, std::uint16_t major = 2,
               std::uint16_t minor = 4);
    // caplen_field is what the record header claims; data is what follows it.
    PcapWriter& record(std::uint32_t seconds, std::uint32_t fraction, std::uint32_t caplen_field,
                       std::uint32_t wire_length, std::span<const std::uint8_t> data);
    PcapWriter& record(const SourceRecord& r);
    const std::vector<std::uint8_t>& bytes() const { return b_; }

private:
    void u16(std::uint16_t v);
    void u32(std::uint32_t v);
    bool be_;
    std::vector<std::uint8_t> b_;
};

class PcapngWriter {
public:
    explicit PcapngWriter(bool big_endian = false, std::uint16_t major = 1,
                          std::uint16_t minor = 0);
    // Section Header Block (the constructor writes the first one).
    PcapngWriter& section(std::uint16_t major = 1, std::uint16_t minor = 0);
    // Interface Description Block; options are raw option TLVs (already padded), end-of-options
    // is appended.
    PcapngWriter& interface(std::uint16_t linktype, std::uint32_t snaplen = 262144,
                            const std::vector<std::uint8_t>& options = {});
    PcapngWriter& enhanced_packet(std::uint32_t interface_id, std::uint64_t timestamp,
                                  std::uint32_t caplen_field, std::uint32_t wire_length,
                                  std::span<const std::uint8_t> data);
    PcapngWriter& simple_packet(std::uint32_t wire_length, std::span<const std::uint8_t> data);
    // Any block: type, body, and the length fields to write (nullopt: the true length).
    PcapngWriter& block(std::uint32_t type, const std::vector<std::uint8_t>& body,
                        std::optional<std::uint32_t> length_field = std::nullopt,
                        std::optional<std::uint32_t> trailer_field = std::nullopt);
    // One option TLV, padded to 4 bytes, in this writer's byte order.
    std::vector<std::uint8_t> option(std::uint16_t code,
                                     const std::vector<std::uint8_t>& value) const;
    const std::vector<std::uint8_t>& bytes() const { return b_; }

private:
    void put16(std::vector<std::uint8_t>& to, std::uint16_t v) const;
    void put32(std::vector<std::uint8_t>& to, std::uint32_t v) const;
    bool be_;
    std::vector<std::uint8_t> b_;
};

}  // namespace tcplab::hostile
