#pragma once
// Minimal classic-pcap writer for tests: lets tshark (the oracle) read what the generator built.
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace tcplab::gen::testing {

inline void write_pcap(const std::string& path, std::uint32_t linktype,
                       const std::vector<std::vector<std::uint8_t>>& frames) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        throw std::runtime_error("cannot write " + path);
    }
    auto u32 = [&](std::uint32_t v) { std::fwrite(&v, 4, 1, f); };  // host order, as the magic says
    auto u16 = [&](std::uint16_t v) { std::fwrite(&v, 2, 1, f); };
    u32(0xa1b2c3d4);
    u16(2);
    u16(4);
    u32(0);
    u32(0);
    u32(65535);
    u32(linktype);
    std::uint32_t second = 1;
    for (const auto& frame : frames) {
        u32(second++);
        u32(0);
        u32(static_cast<std::uint32_t>(frame.size()));
        u32(static_cast<std::uint32_t>(frame.size()));
        std::fwrite(frame.data(), 1, frame.size(), f);
    }
    std::fclose(f);
}

// Runs a shell-free command line via popen (test-only: the arguments are our own constants).
inline std::string capture_output(const std::string& command) {
    std::string out;
    std::FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) {
        return out;
    }
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) {
        out.append(buffer, n);
    }
    ::pclose(p);
    return out;
}

inline bool have_tool(const std::string& name) {
    return !capture_output("command -v " + name + " 2>/dev/null").empty();
}

}  // namespace tcplab::gen::testing
