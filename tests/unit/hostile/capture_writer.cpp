#include "capture_writer.hpp"

namespace tcplab::hostile {

std::vector<SourceRecord> pcap_records(const std::vector<std::uint8_t>& bytes,
                                       const CaptureLayout& layout) {
    std::vector<SourceRecord> out;
    for (const auto& block : layout.blocks) {
        SourceRecord r;
        r.seconds = get_u32(bytes, block.offset, layout.big_endian);
        r.fraction = get_u32(bytes, block.offset + 4, layout.big_endian);
        r.wire_length = get_u32(bytes, block.offset + 12, layout.big_endian);
        const auto first = bytes.begin() + static_cast<std::ptrdiff_t>(block.offset + 16);
        r.data.assign(first, first + static_cast<std::ptrdiff_t>(block.length - 16));
        out.push_back(std::move(r));
    }
    return out;
}

PcapWriter::PcapWriter(std::uint32_t linktype, std::uint32_t snaplen, std::uint32_t magic,
                       bool big_endian, std::uint16_t major, std::uint16_t minor)
    : be_(big_endian) {
    u32(magic);
    u16(major);
    u16(minor);
    u32(0);  // thiszone
    u32(0);  // sigfigs
    u32(snaplen);
    u32(linktype);
}

namespace {

void append_u16(std::vector<std::uint8_t>& to, std::uint16_t v, bool big_endian) {
    to.push_back(static_cast<std::uint8_t>(big_endian ? v >> 8 : v));
    to.push_back(static_cast<std::uint8_t>(big_endian ? v : v >> 8));
}

}  // namespace

void PcapWriter::u16(std::uint16_t v) { append_u16(b_, v, be_); }

void PcapWriter::u32(std::uint32_t v) { put_u32(b_, b_.size(), v, be_); }

PcapWriter& PcapWriter::record(std::uint32_t seconds, std::uint32_t fraction,
                               std::uint32_t caplen_field, std::uint32_t wire_length,
                               std::span<const std::uint8_t> data) {
    u32(seconds);
    u32(fraction);
    u32(caplen_field);
    u32(wire_length);
    b_.insert(b_.end(), data.begin(), data.end());
    return *this;
}

PcapWriter& PcapWriter::record(const SourceRecord& r) {
    return record(r.seconds, r.fraction, static_cast<std::uint32_t>(r.data.size()), r.wire_length,
                  r.data);
}

PcapngWriter::PcapngWriter(bool big_endian, std::uint16_t major, std::uint16_t minor)
    : be_(big_endian) {
    section(major, minor);
}

void PcapngWriter::put16(std::vector<std::uint8_t>& to, std::uint16_t v) const {
    append_u16(to, v, be_);
}

void PcapngWriter::put32(std::vector<std::uint8_t>& to, std::uint32_t v) const {
    put_u32(to, to.size(), v, be_);
}

std::vector<std::uint8_t> PcapngWriter::option(std::uint16_t code,
                                               const std::vector<std::uint8_t>& value) const {
    std::vector<std::uint8_t> o;
    put16(o, code);
    put16(o, static_cast<std::uint16_t>(value.size()));
    o.insert(o.end(), value.begin(), value.end());
    while (o.size() % 4 != 0) o.push_back(0);
    return o;
}

PcapngWriter& PcapngWriter::block(std::uint32_t type, const std::vector<std::uint8_t>& body,
                                  std::optional<std::uint32_t> length_field,
                                  std::optional<std::uint32_t> trailer_field) {
    const auto length = static_cast<std::uint32_t>(12 + body.size());
    put32(b_, type);
    put32(b_, length_field.value_or(length));
    b_.insert(b_.end(), body.begin(), body.end());
    put32(b_, trailer_field.value_or(length));
    return *this;
}

PcapngWriter& PcapngWriter::section(std::uint16_t major, std::uint16_t minor) {
    std::vector<std::uint8_t> body;
    put32(body, 0x1A2B3C4D);
    put16(body, major);
    put16(body, minor);
    put32(body, 0xFFFFFFFF);  // section length: unknown
    put32(body, 0xFFFFFFFF);
    return block(0x0A0D0D0A, body);
}

PcapngWriter& PcapngWriter::interface(std::uint16_t linktype, std::uint32_t snaplen,
                                      const std::vector<std::uint8_t>& options) {
    std::vector<std::uint8_t> body;
    put16(body, linktype);
    put16(body, 0);
    put32(body, snaplen);
    if (!options.empty()) {
        body.insert(body.end(), options.begin(), options.end());
        put32(body, 0);  // opt_endofopt
    }
    return block(1, body);
}

PcapngWriter& PcapngWriter::enhanced_packet(std::uint32_t interface_id, std::uint64_t timestamp,
                                            std::uint32_t caplen_field, std::uint32_t wire_length,
                                            std::span<const std::uint8_t> data) {
    std::vector<std::uint8_t> body;
    put32(body, interface_id);
    put32(body, static_cast<std::uint32_t>(timestamp >> 32));
    put32(body, static_cast<std::uint32_t>(timestamp));
    put32(body, caplen_field);
    put32(body, wire_length);
    body.insert(body.end(), data.begin(), data.end());
    while (body.size() % 4 != 0) body.push_back(0);
    return block(6, body);
}

PcapngWriter& PcapngWriter::simple_packet(std::uint32_t wire_length,
                                          std::span<const std::uint8_t> data) {
    std::vector<std::uint8_t> body;
    put32(body, wire_length);
    body.insert(body.end(), data.begin(), data.end());
    while (body.size() % 4 != 0) body.push_back(0);
    return block(3, body);
}

}  // namespace tcplab::hostile
