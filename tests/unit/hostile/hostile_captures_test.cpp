// Hostile captures (issue 10 item 3): `tcplab analyze` over a corpus of malformed and odd captures
// made at test time from the committed real captures (tests/data/analyzer) with fixed seeds, plus
// every fuzzer finding under tests/data/fuzz/pcap*/. For every file, in text, json and
// `--frames --format tsv` mode, the real binary must: never die by a signal, never run past a
// hard time bound, exit 0 (with a warning naming the file and the record/offset if the file is
// damaged) or exit 2 with a message naming the file and where in it; print valid JSON. Where the
// right answer is known, more: a capture cut at a record boundary is a shorter valid capture whose
// per-frame verdicts are exactly tshark's (the committed NAME.tsv) up to the cut, and a capture
// damaged at record K reports the K-1 records before it, tshark's verdicts, and names record K.
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <set>

#include "hostile_fixture.hpp"

namespace tcplab::hostile {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBatch = 64;
// Bit-flipped files are judged one by one from the shared output (every message names its file);
// a batch that crashes, hangs or trips a sanitizer is re-run file by file to name the culprit.
constexpr std::size_t kFlipBatch = 16;

TEST_F(HostileCaptures, CommittedCapturesAsTheyAre) {
    ASSERT_EQ(sources().size(), committed_capture_count())
        << "a committed capture that is neither pcap nor pcapng";
    ASSERT_GE(sources().size(), 10u);
    for (const auto& s : sources()) {
        const std::uint64_t n = s.layout.packets();
        if (s.layout.damaged_tail) {
            add_known(s.name, s.bytes, Expect::damaged, s, n).record = n + 1;
        } else {
            add_known(s.name, s.bytes, Expect::clean, s, n);
        }
    }
    run(1);
}

// A capture cut exactly after record k is a valid capture of k records. One test per committed
// capture, so that each stays short even in a sanitizer build and ctest can run them in parallel.
// The sanitizer step samples the boundaries (cut_stride(), see scripts/sanitize.sh for why); the
// normal suite cuts at every one.
class HostileCutsOf : public HostileCaptures, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(HostileCutsOf, CutAtEveryRecordBoundary) {
    const Source& s = sources().at(GetParam());
    const std::size_t stride = cut_stride();
    const std::size_t last = s.layout.blocks.empty() ? 0 : s.layout.blocks.size() - 1;
    std::size_t boundaries = 0;
    for (std::size_t i = 0; i < s.layout.blocks.size(); ++i) {
        const Block& b = s.layout.blocks[i];
        if (b.offset + b.length == s.bytes.size()) break;  // the whole file: covered above
        ++boundaries;
        // Sampled: every stride-th boundary, and always the first and the last two.
        if (i % stride != 0 && i + 2 < last) continue;
        const std::uint64_t k = s.layout.record_at(b.offset + b.length) - 1;
        add_known(s.name + " cut after record " + std::to_string(k) + " (byte " +
                      std::to_string(b.offset + b.length) + ")",
                  prefix(s.bytes, b.offset + b.length), Expect::clean, s, k);
    }
    add_known(s.name + " file header only", prefix(s.bytes, s.layout.header_end), Expect::clean, s,
              0);
    if (stride > 1) {
        std::cout << "[ sample   ] TCPLAB_HOSTILE_CUT_STRIDE=" << stride << ": cut at "
                  << cases_.size() - 1 << " of " << boundaries << " record boundaries\n";
    }
    run(kBatch);
}

INSTANTIATE_TEST_SUITE_P(Committed, HostileCutsOf,
                         ::testing::Range<std::size_t>(0, sources().size()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                             return test_name(sources()[info.param].name);
                         });

// Cut inside the record header, right after it, inside the data, one byte short: record K is
// damaged, the K-1 before it are reported.
TEST_F(HostileCaptures, CutInsideRecords) {
    for (const auto& s : sources()) {
        const auto& blocks = s.layout.blocks;
        if (blocks.empty()) continue;
        for (std::size_t i : {std::size_t{0}, blocks.size() / 2, blocks.size() - 1}) {
            const Block& b = blocks[i];
            std::set<std::size_t> offsets{1, 8, 15, 16, 17, b.length / 2, b.length - 1};
            for (std::size_t off : offsets) {
                if (off == 0 || off >= b.length) continue;
                const std::uint64_t k = s.layout.record_at(b.offset + off);
                add_known(s.name + " cut at byte " + std::to_string(off) + " of record " +
                              std::to_string(k),
                          prefix(s.bytes, b.offset + off), Expect::damaged, s, k - 1)
                    .record = k;
            }
        }
    }
    run(kBatch);
}

// Inside the file header (pcap: the 24-byte header; pcapng: the Section Header and the first
// Interface Description Block) nothing can be read: exit 2.
TEST_F(HostileCaptures, CutInsideTheFileHeader) {
    std::set<std::vector<std::uint8_t>> seen;
    for (const auto& s : sources()) {
        const auto header = prefix(s.bytes, s.layout.header_end);
        if (!seen.insert(header).second) continue;  // same header as another capture
        std::set<std::size_t> offsets{0, 1, 3, 4, 8, 12, 16, 20, 23, s.layout.header_end - 1};
        if (s.layout.format == CaptureFormat::pcapng) {
            const std::size_t shb = get_u32(s.bytes, 4, s.layout.big_endian);
            offsets.insert({shb - 1, shb, shb + 4, shb + 8, shb + 12});
        }
        for (std::size_t off : offsets) {
            if (off >= s.layout.header_end) continue;
            add(s.name + " cut at byte " + std::to_string(off) + " of the file header",
                prefix(s.bytes, off), Expect::unreadable);
        }
    }
    run(kBatch);
}

// Seeded random bit flips: 1 to 8 flips per file, half of them aimed at the length/time fields
// of the file and record headers where a parser is most easily fooled.
TEST_F(HostileCaptures, RandomBitFlips) {
    constexpr int kFiles = 400;
    const auto& all = sources();
    for (int i = 0; i < kFiles; ++i) {
        std::mt19937_64 rng(0x7C1AB000u + static_cast<unsigned>(i));
        const Source& s = all[static_cast<std::size_t>(i) % all.size()];
        auto bytes = s.bytes;
        const int flips = 1 + static_cast<int>(rng() % 8);
        std::string where;
        for (int f = 0; f < flips; ++f) {
            std::size_t at = 0;
            if (rng() % 2 == 0 || s.layout.blocks.empty()) {
                at = rng() % bytes.size();
            } else if (rng() % 4 == 0) {
                at = rng() % s.layout.header_end;
            } else {
                const Block& b = s.layout.blocks[rng() % s.layout.blocks.size()];
                at = b.offset + rng() % std::min<std::size_t>(b.length, 32);
            }
            const int bit = static_cast<int>(rng() % 8);
            bytes[at] ^= static_cast<std::uint8_t>(1u << bit);
            where += " " + std::to_string(at) + "." + std::to_string(bit);
        }
        add(s.name + " seed " + std::to_string(i) + " flipped bits at" + where, bytes, Expect::any);
    }
    run(kFlipBatch);
}

// Every file the fuzzers found interesting (another engineer's corpus), if it is there.
TEST_F(HostileCaptures, FuzzerFindings) {
    const fs::path root = fs::path(TCPLAB_TEST_DATA) / "fuzz";
    if (fs::is_directory(root)) {
        std::set<fs::path> files;
        for (const auto& d : fs::directory_iterator(root)) {
            if (!d.is_directory() || d.path().filename().string().rfind("pcap", 0) != 0) continue;
            for (const auto& e : fs::recursive_directory_iterator(d.path())) {
                if (e.is_regular_file()) files.insert(e.path());
            }
        }
        for (const auto& f : files) {
            add("fuzz " + fs::relative(f, root).string(), read_bytes(f), Expect::any);
        }
    }
    if (cases_.empty()) GTEST_SKIP() << "no fuzzer findings under " << root << "/pcap*/";
    run(1);
}

}  // namespace
}  // namespace tcplab::hostile
