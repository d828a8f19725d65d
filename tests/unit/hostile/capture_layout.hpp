#pragma once
// Where the records of a pcap or pcapng file start and end, found by walking the file's own length
// fields (no libpcap), so the hostile corpus can cut a real capture at exactly a record boundary,
// inside a record, or inside the file header, and knows which record a cut damages.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tcplab::hostile {

enum class CaptureFormat { pcap, pcapng };

struct Block {
    std::size_t offset = 0;
    std::size_t length = 0;    // bytes, header and trailer included
    std::uint64_t packet = 0;  // 1-based packet (record) number, 0: not a packet block
};

struct CaptureLayout {
    CaptureFormat format = CaptureFormat::pcap;
    bool big_endian = false;
    std::size_t header_end = 0;  // pcap: 24; pcapng: end of the first Interface Description Block
    std::vector<Block> blocks;   // every complete record/block after the header, in file order
    bool damaged_tail = false;   // bytes after the last complete block (a cut file)

    std::uint64_t packets() const;
    // The record number a cut at byte `offset` damages: packets wholly before it + 1.
    std::uint64_t record_at(std::size_t offset) const;
};

// nullopt for bytes that are neither (no magic).
std::optional<CaptureLayout> walk_capture(const std::vector<std::uint8_t>& bytes);

// Byte-order aware little helpers for building and patching captures.
std::uint32_t get_u32(const std::vector<std::uint8_t>& b, std::size_t at, bool big_endian);
void put_u32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v, bool big_endian);

}  // namespace tcplab::hostile
