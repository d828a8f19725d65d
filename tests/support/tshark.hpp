#pragma once
// tshark, the reference reader, over a capture a test wrote or took.
#include <filesystem>
#include <string>
#include <vector>

namespace tcplab::test_support {

// Number of frames in `file` matching the display filter, as tshark counts them.
int tshark_count(const std::filesystem::path& file, const std::string& filter);

// One line per packet with the given fields, checksum validation on. `two_pass` filters with -2
// -R; `relative` keeps tshark's relative sequence numbers.
std::vector<std::string> tshark_fields(const std::filesystem::path& file,
                                       const std::vector<std::string>& fields,
                                       const std::string& filter = "", bool two_pass = false,
                                       bool relative = true);

// tshark's per-frame analysis of `file` in the `analyze --frames --format tsv` contract
// (scripts/tshark_expected.sh, its comment lines left out): what the analyzer must print.
std::string tshark_expected_tsv(const std::filesystem::path& file);

}  // namespace tcplab::test_support
