#include "capture_layout.hpp"

namespace tcplab::hostile {

namespace {

constexpr std::uint32_t kPcapngShb = 0x0A0D0D0A;
constexpr std::uint32_t kPcapngIdb = 1;
constexpr std::uint32_t kPcapngPb = 2;  // obsolete Packet Block
constexpr std::uint32_t kPcapngSpb = 3;
constexpr std::uint32_t kPcapngEpb = 6;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;

bool is_packet_block(std::uint32_t type) {
    return type == kPcapngEpb || type == kPcapngSpb || type == kPcapngPb;
}

std::optional<CaptureLayout> walk_pcap(const std::vector<std::uint8_t>& b) {
    CaptureLayout l;
    const std::uint32_t magic_le = get_u32(b, 0, false);
    if (magic_le == 0xA1B2C3D4 || magic_le == 0xA1B23C4D) {
        l.big_endian = false;
    } else if (get_u32(b, 0, true) == 0xA1B2C3D4 || get_u32(b, 0, true) == 0xA1B23C4D) {
        l.big_endian = true;
    } else {
        return std::nullopt;
    }
    l.header_end = 24;
    std::size_t at = 24;
    std::uint64_t packet = 0;
    while (at + 16 <= b.size()) {
        const std::size_t length = 16 + std::size_t{get_u32(b, at + 8, l.big_endian)};
        if (at + length > b.size()) break;
        l.blocks.push_back({at, length, ++packet});
        at += length;
    }
    l.damaged_tail = at != b.size();
    return l;
}

std::optional<CaptureLayout> walk_pcapng(const std::vector<std::uint8_t>& b) {
    CaptureLayout l;
    l.format = CaptureFormat::pcapng;
    if (b.size() < 12) return std::nullopt;
    if (get_u32(b, 8, false) == kByteOrderMagic) {
        l.big_endian = false;
    } else if (get_u32(b, 8, true) == kByteOrderMagic) {
        l.big_endian = true;
    } else {
        return std::nullopt;
    }
    std::size_t at = 0;
    std::uint64_t packet = 0;
    bool seen_idb = false;
    while (at + 12 <= b.size()) {
        const std::uint32_t type = get_u32(b, at, l.big_endian);
        const std::size_t length = get_u32(b, at + 4, l.big_endian);
        if (length < 12 || at + length > b.size()) break;
        if (!seen_idb) {
            if (type == kPcapngIdb) {
                seen_idb = true;
                l.header_end = at + length;
            }
        } else {
            l.blocks.push_back({at, length, is_packet_block(type) ? ++packet : 0});
        }
        at += length;
    }
    l.damaged_tail = at != b.size();
    return l;
}

}  // namespace

std::uint32_t get_u32(const std::vector<std::uint8_t>& b, std::size_t at, bool big_endian) {
    if (at + 4 > b.size()) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        const std::uint32_t byte = b[at + static_cast<std::size_t>(i)];
        v |= big_endian ? byte << (8 * (3 - i)) : byte << (8 * i);
    }
    return v;
}

void put_u32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v, bool big_endian) {
    if (b.size() < at + 4) b.resize(at + 4);
    for (int i = 0; i < 4; ++i) {
        const int shift = big_endian ? 8 * (3 - i) : 8 * i;
        b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> shift);
    }
}

std::uint64_t CaptureLayout::packets() const {
    std::uint64_t n = 0;
    for (const auto& block : blocks) n += block.packet != 0 ? 1 : 0;
    return n;
}

std::uint64_t CaptureLayout::record_at(std::size_t offset) const {
    std::uint64_t before = 0;
    for (const auto& block : blocks) {
        if (block.offset + block.length > offset) break;
        before += block.packet != 0 ? 1 : 0;
    }
    return before + 1;
}

std::optional<CaptureLayout> walk_capture(const std::vector<std::uint8_t>& bytes) {
    if (bytes.size() >= 4 && get_u32(bytes, 0, false) == kPcapngShb) return walk_pcapng(bytes);
    if (bytes.size() >= 24) return walk_pcap(bytes);
    return std::nullopt;
}

}  // namespace tcplab::hostile
