#pragma once
// Whole files in and out (an unreadable file reads as empty: the test's own assertions then say
// what was missing).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tcplab::test_support {

std::string read_file(const std::filesystem::path& path);
std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);

}  // namespace tcplab::test_support
