#pragma once
// Helpers shared by the packet unit tests: hex byte vectors, a classic-pcap writer, and running
// tshark (the oracle) on what we built.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "packet/builder.hpp"
#include "packet/ip_address.hpp"
#include "tests/scratch_dir.hpp"

namespace tcplab::packet::test {

// IP header parameters for a test packet between two address literals.
inline IpParams ip_params(const char* src, const char* dst, std::uint16_t identification = 0) {
    IpParams p;
    p.src = *IpAddress::parse(src);
    p.dst = *IpAddress::parse(dst);
    p.identification = identification;
    return p;
}

inline std::vector<std::uint8_t> concat(std::vector<std::uint8_t> head,
                                        const std::vector<std::uint8_t>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

// "4500 003c" (whitespace ignored) -> bytes. Throws on a malformed literal: a bad test vector.
inline std::vector<std::uint8_t> hex(std::initializer_list<std::string_view> parts) {
    std::string digits;
    for (auto part : parts)
        for (char c : part)
            if (c != ' ') digits.push_back(c);
    if (digits.size() % 2 != 0) throw std::invalid_argument("odd number of hex digits");
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < digits.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
    return out;
}

// Classic libpcap format (microsecond, little-endian magic as written by this host).
inline void write_pcap(const std::filesystem::path& path, std::uint32_t linktype,
                       const std::vector<std::vector<std::uint8_t>>& frames) {
    std::ofstream f(path, std::ios::binary);
    auto put32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
    auto put16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
    put32(0xA1B2C3D4);
    put16(2);
    put16(4);
    put32(0);
    put32(0);
    put32(262144);
    put32(linktype);
    std::uint32_t usec = 0;
    for (const auto& frame : frames) {
        put32(1);
        put32(usec += 1000);
        put32(static_cast<std::uint32_t>(frame.size()));
        put32(static_cast<std::uint32_t>(frame.size()));
        f.write(reinterpret_cast<const char*>(frame.data()),
                static_cast<std::streamsize>(frame.size()));
    }
    if (!f) throw std::runtime_error("cannot write " + path.string());
}

// A fresh directory, removed when the object goes out of scope.
class TempDir : public test_support::ScratchDir {
public:
    TempDir() : test_support::ScratchDir("packet") {}
};

struct CommandOutput {
    int status = -1;
    std::string out;
};

// Runs a fixed shell command line built only from test-controlled strings (paths in our temp
// dir, tshark options); stderr is discarded so tshark's "running as root" notice stays out.
inline CommandOutput run_command(const std::string& command) {
    CommandOutput result;
    FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
    if (pipe == nullptr) return result;
    char buf[4096];
    std::size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
    result.status = pclose(pipe);
    return result;
}

inline bool have_tshark() { return run_command("command -v tshark").status == 0; }

inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace tcplab::packet::test
