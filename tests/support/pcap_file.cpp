#include "tests/support/pcap_file.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

namespace tcplab::test_support {

// The classic format in this host's byte order (the magic tells readers which), written field by
// field: the link type goes into the file as given (a LINKTYPE_ value, which libpcap's dumper
// would first map to a DLT_ one).
void write_pcap(const std::filesystem::path& path, int linktype,
                const std::vector<PcapRecord>& records) {
    std::ofstream f(path, std::ios::binary);
    auto u32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    u32(0xA1B23C4D);  // nanosecond timestamps
    u16(2);
    u16(4);
    u32(0);  // thiszone
    u32(0);  // sigfigs
    u32(262144);
    u32(static_cast<std::uint32_t>(linktype));
    for (const auto& r : records) {
        u32(static_cast<std::uint32_t>(r.time_ns / 1'000'000'000));
        u32(static_cast<std::uint32_t>(r.time_ns % 1'000'000'000));
        u32(static_cast<std::uint32_t>(r.bytes.size()));
        u32(static_cast<std::uint32_t>(r.bytes.size()));
        f.write(reinterpret_cast<const char*>(r.bytes.data()),
                static_cast<std::streamsize>(r.bytes.size()));
    }
    if (!f) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

void write_pcap(const std::filesystem::path& path, int linktype,
                const std::vector<std::vector<std::uint8_t>>& frames) {
    std::vector<PcapRecord> records;
    std::int64_t t = 1'000'000'000;
    for (const auto& f : frames) {
        records.push_back({t, f});
        t += 1'000'000;
    }
    write_pcap(path, linktype, records);
}

}  // namespace tcplab::test_support
