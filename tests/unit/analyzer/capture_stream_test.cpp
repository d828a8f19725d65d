// analyze_capture() over a capture already open as a stream (fmemopen, as fuzz_pcap_file reads
// its inputs) must say exactly what analyze_file() says about the same bytes in a file: every
// report form, and the warnings of a damaged capture with the byte offset where reading stopped.
// Otherwise the fuzzer would be exercising a path the product does not take.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "analyzer/detail/output.hpp"
#include "analyzer/pcap_reader.hpp"
#include "analyzer/report.hpp"
#include "base/errors.hpp"
#include "tests/support/files.hpp"
#include "tests/support/scratch_dir.hpp"

namespace tcplab::analyzer {
namespace {

namespace fs = std::filesystem;

struct Result {
    std::string output;
    std::vector<std::string> warnings;
    std::string error;  // UsageError message, if rejected
};

// Runs `analyze` with an Output into memory; the callback gets the Output and returns the outcome.
template <class Analyze>
Result capture_output(Analyze analyze) {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* mem = ::open_memstream(&data, &size);
    Result r;
    {
        Output out(mem);
        try {
            r.warnings = analyze(out).warnings;
        } catch (const UsageError& e) {
            r.error = e.what();
        }
    }
    std::fclose(mem);
    r.output.assign(data, size);
    std::free(data);
    return r;
}

std::vector<AnalyzeOptions> report_forms() {
    std::vector<AnalyzeOptions> forms;
    for (Format f : {Format::text, Format::json, Format::tsv}) {
        for (bool frames : {false, true}) {
            AnalyzeOptions o;
            o.format = f;
            o.frames = frames;
            forms.push_back(o);
        }
    }
    return forms;
}

// Both paths for `bytes`, written to `file` for analyze_file.
void expect_same(const fs::path& file, std::vector<std::uint8_t> bytes) {
    std::FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr) << file;
    if (!bytes.empty()) {  // fwrite's buffer must not be null, and an empty vector's may be
        ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    }
    ASSERT_EQ(std::fclose(f), 0);
    std::uint8_t none = 0;  // fmemopen wants a buffer even for zero bytes
    std::uint8_t* memory = bytes.empty() ? &none : bytes.data();
    for (const AnalyzeOptions& o : report_forms()) {
        const Result from_file =
            capture_output([&](Output& out) { return analyze_file(file.string(), o, out); });
        const Result from_memory = capture_output([&](Output& out) {
            PcapReader reader(::fmemopen(memory, bytes.size(), "r"), file.string());
            return analyze_capture(reader, o, out);
        });
        const std::string form = "format " + std::to_string(static_cast<int>(o.format)) +
                                 (o.frames ? " --frames" : "") + " of " + file.string();
        EXPECT_EQ(from_memory.output, from_file.output) << form;
        EXPECT_EQ(from_memory.warnings, from_file.warnings) << form;
        EXPECT_EQ(from_memory.error, from_file.error) << form;
    }
}

class CaptureStream : public ::testing::Test {
protected:
    const ::tcplab::test_support::ScratchDir scratch_{"capture-stream"};
    const fs::path dir_ = scratch_.path();
};

TEST_F(CaptureStream, CommittedCapturesWholeAndCut) {
    std::size_t captures = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(TCPLAB_TEST_DATA) / "analyzer")) {
        const auto ext = entry.path().extension();
        if (ext != ".pcap" && ext != ".pcapng") continue;
        ++captures;
        const auto bytes = test_support::read_bytes(entry.path());
        const fs::path copy = dir_ / entry.path().filename();
        expect_same(copy, bytes);
        // Cut in the middle of a record: the same warning, naming the same byte offset.
        expect_same(copy, {bytes.begin(),
                           bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() * 2 / 3)});
    }
    EXPECT_GE(captures, 10u);
}

TEST_F(CaptureStream, NotACaptureIsRejectedAlike) {
    expect_same(dir_ / "empty.pcap", {});
    expect_same(dir_ / "text.pcap", {'h', 'e', 'l', 'l', 'o', '\n'});
    expect_same(dir_ / "short_header.pcap", {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0});
}

TEST(CaptureStreamNull, NoStreamIsAUsageError) {
    EXPECT_THROW(PcapReader(static_cast<std::FILE*>(nullptr), "x.pcap"), UsageError);
}

}  // namespace
}  // namespace tcplab::analyzer
