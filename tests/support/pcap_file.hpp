#pragma once
// Writes frames to a classic pcap file (nanosecond timestamps, link type as given) so
// tshark, the oracle, and the product's readers can read what a test built. Captures that must
// lie about their own structure are written byte by byte where they are tested (unit/hostile).
#include <cstdint>
#include <filesystem>
#include <vector>

namespace tcplab::test_support {

inline constexpr int kLinkTypeEthernet = 1;  // DLT_EN10MB
inline constexpr int kLinkTypeRaw = 101;     // LINKTYPE_RAW: the frame starts at the IP header

struct PcapRecord {
    std::int64_t time_ns = 0;
    std::vector<std::uint8_t> bytes;
};

// Throws std::runtime_error when the file cannot be written.
void write_pcap(const std::filesystem::path& path, int linktype,
                const std::vector<PcapRecord>& records);
// Frames one millisecond apart, the first at 1 s.
void write_pcap(const std::filesystem::path& path, int linktype,
                const std::vector<std::vector<std::uint8_t>>& frames);

}  // namespace tcplab::test_support
