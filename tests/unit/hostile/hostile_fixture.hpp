#pragma once
// The committed real captures the hostile corpus is made from, and the fixture that writes a
// test's corpus into a private temporary directory and judges it (hostile_corpus.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "capture_layout.hpp"
#include "hostile_corpus.hpp"
#include "tests/support/files.hpp"

namespace tcplab::hostile {

struct Source {
    std::string name;
    std::vector<std::uint8_t> bytes;
    CaptureLayout layout;
    std::vector<std::string> rows;  // tshark's verdicts (the committed NAME.tsv)
};

// Every tests/data/analyzer/*.pcap|*.pcapng that walk_capture() understands, in name order.
const std::vector<Source>& sources();
const Source& source(const std::string& name);  // throws if missing
std::size_t committed_capture_count();

using test_support::read_bytes;

// Letters and digits only, at most 60 (file names, test names).
std::string test_name(const std::string& name);
std::vector<std::uint8_t> prefix(const std::vector<std::uint8_t>& b, std::size_t n);
// TCPLAB_HOSTILE_CUT_STRIDE=k (set only by scripts/sanitize.sh): cut at every k-th record
// boundary instead of every one. 1 when unset; throws on anything but a positive integer.
std::size_t cut_stride();

class HostileCaptures : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Writes the file and appends its case.
    Case& add(std::string name, const std::vector<std::uint8_t>& bytes, Expect expect);
    // A copy of `s` whose first `intact` records are untouched: tshark's rows for them are known.
    Case& add_known(std::string name, const std::vector<std::uint8_t>& bytes, Expect expect,
                    const Source& s, std::uint64_t intact);
    // Runs every case (batch: files per invocation) and fails the test on any violation.
    void run(std::size_t batch);

    std::filesystem::path dir_;
    std::vector<Case> cases_;
};

}  // namespace tcplab::hostile
