// analyze_capture() over a capture already open as a stream (fmemopen, as fuzz_pcap_file reads
// its inputs) must say exactly what analyze_file() says about the same bytes in a file: every
// report form, and the warnings of a damaged capture with the byte offset where reading stopped.
// Otherwise the fuzzer would be exercising a path the product does not take.
#include <gtest/gtest.h>

#include <algorithm>
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

// A classic pcap file record by record, to be written back in another form: the file reader
// reads classic pcap files in blocks, and must read every form libpcap reads exactly as libpcap
// does.
struct ClassicPcap {
    std::uint32_t snaplen = 0;
    std::uint32_t linktype = 0;
    std::uint16_t version_minor = 4;
    struct Record {
        std::uint32_t seconds = 0;
        std::uint32_t fraction = 0;  // as written: micro- or nanoseconds
        std::uint32_t caplen = 0;
        std::uint32_t len = 0;
        std::vector<std::uint8_t> bytes;
    };
    bool nanoseconds = false;
    std::vector<Record> records;
};

std::uint32_t le32(const std::vector<std::uint8_t>& b, std::size_t at) {
    return std::uint32_t{b[at]} | std::uint32_t{b[at + 1]} << 8 | std::uint32_t{b[at + 2]} << 16 |
           std::uint32_t{b[at + 3]} << 24;
}

bool is_little_endian_classic(const std::vector<std::uint8_t>& b) {
    return b.size() >= 24 && (le32(b, 0) == 0xa1b2c3d4 || le32(b, 0) == 0xa1b23c4d);
}

// A little-endian classic pcap file.
ClassicPcap parse_classic(const std::vector<std::uint8_t>& b) {
    ClassicPcap p;
    p.nanoseconds = le32(b, 0) == 0xa1b23c4d;
    p.snaplen = le32(b, 16);
    p.linktype = le32(b, 20);
    for (std::size_t at = 24; at + 16 <= b.size();) {
        ClassicPcap::Record r{le32(b, at), le32(b, at + 4), le32(b, at + 8), le32(b, at + 12), {}};
        const std::size_t end = std::min(b.size(), at + 16 + r.caplen);
        r.bytes.assign(b.begin() + static_cast<std::ptrdiff_t>(at + 16),
                       b.begin() + static_cast<std::ptrdiff_t>(end));
        p.records.push_back(std::move(r));
        at = end;
    }
    return p;
}

std::vector<std::uint8_t> write_classic(const ClassicPcap& p, bool big_endian) {
    std::vector<std::uint8_t> out;
    const auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            const int shift = big_endian ? 24 - 8 * i : 8 * i;
            out.push_back(static_cast<std::uint8_t>(v >> shift));
        }
    };
    const auto u16 = [&](std::uint16_t v) {
        out.push_back(static_cast<std::uint8_t>(big_endian ? v >> 8 : v));
        out.push_back(static_cast<std::uint8_t>(big_endian ? v : v >> 8));
    };
    u32(p.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4);
    u16(2);
    u16(p.version_minor);
    u32(0);
    u32(0);
    u32(p.snaplen);
    u32(p.linktype);
    for (const auto& r : p.records) {
        u32(r.seconds);
        u32(r.fraction);
        u32(r.caplen);
        u32(r.len);
        out.insert(out.end(), r.bytes.begin(), r.bytes.end());
    }
    return out;
}

std::vector<fs::path> committed_classic_captures() {
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(fs::path(TCPLAB_TEST_DATA) / "analyzer")) {
        if (is_little_endian_classic(test_support::read_bytes(entry.path())))
            paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

TEST_F(CaptureStream, EveryByteOrderAndTimeResolution) {
    std::size_t forms = 0;
    for (const auto& path : committed_classic_captures()) {
        ClassicPcap p = parse_classic(test_support::read_bytes(path));
        ASSERT_FALSE(p.records.empty()) << path;
        const bool nano = p.nanoseconds;
        for (const bool to_nano : {false, true}) {
            p.nanoseconds = to_nano;
            for (auto& r : p.records) {
                if (nano && !to_nano) r.fraction /= 1000;
                if (!nano && to_nano) r.fraction *= 1000;
            }
            for (const bool big_endian : {false, true}) {
                const auto bytes = write_classic(p, big_endian);
                expect_same(dir_ / path.filename(), bytes);
                expect_same(dir_ / path.filename(),
                            {bytes.begin(), bytes.end() - 7});  // the last record cut short
                ++forms;
            }
            if (nano && !to_nano) break;  // the nanoseconds are gone now
        }
    }
    EXPECT_GE(forms, 40u);
}

// The first committed classic capture, record by record: the clean base of the variants below.
ClassicPcap first_committed_classic() {
    return parse_classic(test_support::read_bytes(committed_classic_captures().front()));
}

// Records the block reader must leave to libpcap, in the middle of a file that starts clean.
TEST_F(CaptureStream, RecordsOnlyLibpcapKnowsWhatToDoWith) {
    const ClassicPcap clean = first_committed_classic();
    ASSERT_GE(clean.records.size(), 6u);
    const std::size_t mid = clean.records.size() / 2;
    const auto variant = [&](const std::string& name, auto&& change) {
        ClassicPcap p = clean;
        change(p);
        for (const bool big_endian : {false, true})
            expect_same(dir_ / (name + ".pcap"), write_classic(p, big_endian));
    };
    // Over the header's snapshot length (libpcap cuts such records to it) and over the most
    // libpcap accepts at all (reading stops with its message).
    variant("small_snaplen", [](ClassicPcap& p) { p.snaplen = 60; });
    variant("zero_snaplen", [](ClassicPcap& p) { p.snaplen = 0; });
    variant("caplen_over_snaplen", [&](ClassicPcap& p) {
        p.snaplen = 100;
        p.records[mid].caplen = 5000;
    });
    variant("caplen_over_maximum", [&](ClassicPcap& p) { p.records[mid].caplen = 300000; });
    variant("caplen_past_the_end", [&](ClassicPcap& p) { p.records.back().caplen += 1; });
    // A record header cut short after a whole record.
    for (const bool big_endian : {false, true}) {
        ClassicPcap p = clean;
        p.records.resize(mid + 1);
        auto bytes = write_classic(p, big_endian);
        bytes.resize(bytes.size() - p.records.back().bytes.size() - 9);
        expect_same(dir_ / "header_cut.pcap", bytes);
    }
    // Time fields are signed 32-bit values to libpcap.
    variant("negative_times", [&](ClassicPcap& p) {
        p.records[mid].seconds = 0x80000001u;
        p.records[mid].fraction = 0xFFFFFF00u;
        p.records[mid + 1].fraction = 0x7FFFFFFFu;
    });
    // Version 2.3 may have caplen and len the other way round; libpcap decides per record.
    variant("version_2_3", [&](ClassicPcap& p) {
        p.version_minor = 3;
        std::swap(p.records[mid].caplen, p.records[mid].len);
    });
    // Swapped files of link types whose pseudo-header libpcap rewrites (Linux SLL here).
    variant("sll", [](ClassicPcap& p) { p.linktype = 113; });
}

// A file several times the block reader's buffer: records straddle its blocks, and the output
// must still equal libpcap's reading of the same bytes.
ClassicPcap repeated_to(const ClassicPcap& clean, std::size_t bytes) {
    ClassicPcap p = clean;
    std::size_t size = 24;
    for (std::size_t i = 0; size < bytes; ++i) {
        p.records.push_back(clean.records[i % clean.records.size()]);
        size += 16 + p.records.back().bytes.size();
    }
    return p;
}

TEST_F(CaptureStream, RecordsAcrossReadBlocks) {
    const ClassicPcap clean = first_committed_classic();
    const ClassicPcap big = repeated_to(clean, 3u << 20);
    for (const bool big_endian : {false, true}) {
        auto bytes = write_classic(big, big_endian);
        expect_same(dir_ / "big.pcap", bytes);
        bytes.resize(bytes.size() - 5);  // and cut inside its last record
        expect_same(dir_ / "big_cut.pcap", bytes);
    }
}

// A file cut short while it is being read (a log rotated by truncation) ends the reading with
// libpcap's damage report at the new end; it must not kill the process (as a mapped page past
// the end would, with SIGBUS).
TEST_F(CaptureStream, AFileCutShortWhileItIsReadEndsWithAWarning) {
    const ClassicPcap clean = first_committed_classic();
    const ClassicPcap big = repeated_to(clean, 4u << 20);
    const auto path = dir_ / "shrinking.pcap";
    test_support::write_bytes(path, write_classic(big, false));
    PcapReader reader(path.string());
    ASSERT_TRUE(reader.next().has_value());
    fs::resize_file(path, (5u << 19) + 7);  // 2.5 MiB and a bit: inside some record
    std::uint64_t records = 1;
    while (reader.next()) ++records;
    EXPECT_LT(records, big.records.size());
    ASSERT_TRUE(reader.stopped().has_value());
    EXPECT_NE(reader.stopped()->message.find("truncated"), std::string::npos)
        << reader.stopped()->message;
}

TEST(CaptureStreamNull, NoStreamIsAUsageError) {
    EXPECT_THROW(PcapReader(static_cast<std::FILE*>(nullptr), "x.pcap"), UsageError);
}

}  // namespace
}  // namespace tcplab::analyzer
