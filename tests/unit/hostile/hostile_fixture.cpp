#include "hostile_fixture.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>

namespace tcplab::hostile {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> committed_rows(const fs::path& tsv) {
    std::vector<std::string> rows;
    std::ifstream in(tsv);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line.rfind("frame\t", 0) == 0) continue;
        rows.push_back(line);
    }
    return rows;
}

std::set<fs::path> committed_captures() {
    std::set<fs::path> paths;
    for (const auto& e : fs::directory_iterator(fs::path(TCPLAB_TEST_DATA) / "analyzer")) {
        const auto ext = e.path().extension();
        if (ext == ".pcap" || ext == ".pcapng") paths.insert(e.path());
    }
    return paths;
}

}  // namespace

std::string test_name(const std::string& name) {
    std::string s;
    for (char ch : name) s.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
    return s.substr(0, 60);
}

std::vector<std::uint8_t> prefix(const std::vector<std::uint8_t>& b, std::size_t n) {
    return {b.begin(), b.begin() + static_cast<std::ptrdiff_t>(std::min(n, b.size()))};
}

std::size_t cut_stride() {
    const char* env = std::getenv("TCPLAB_HOSTILE_CUT_STRIDE");
    if (env == nullptr) return 1;
    const std::string text(env);
    std::size_t used = 0;
    unsigned long k = 0;
    try {
        k = std::stoul(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || k == 0) {
        throw std::invalid_argument("TCPLAB_HOSTILE_CUT_STRIDE='" + text +
                                    "': want a positive integer");
    }
    return k;
}

std::size_t committed_capture_count() { return committed_captures().size(); }

const std::vector<Source>& sources() {
    static const std::vector<Source> all = [] {
        std::vector<Source> out;
        for (const auto& p : committed_captures()) {
            Source s;
            s.name = p.filename().string();
            s.bytes = read_bytes(p);
            auto layout = walk_capture(s.bytes);
            if (!layout) continue;  // caught by CommittedCapturesAsTheyAre
            s.layout = *layout;
            s.rows = committed_rows(fs::path(p).replace_extension(".tsv"));
            out.push_back(std::move(s));
        }
        return out;
    }();
    return all;
}

const Source& source(const std::string& name) {
    for (const auto& s : sources()) {
        if (s.name == name) return s;
    }
    throw std::runtime_error("no committed capture " + name);
}

void HostileCaptures::SetUp() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("tcplab-hostile-" + test_name(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "scratch");
}

void HostileCaptures::TearDown() { fs::remove_all(dir_); }

Case& HostileCaptures::add(std::string name, const std::vector<std::uint8_t>& bytes,
                           Expect expect) {
    // "c<N>-" keeps any path from being a prefix of another (messages are matched by path).
    const fs::path p = dir_ / ("c" + std::to_string(cases_.size()) + "-" + test_name(name));
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    Case c;
    c.name = std::move(name);
    c.file = p;
    c.expect = expect;
    cases_.push_back(std::move(c));
    return cases_.back();
}

Case& HostileCaptures::add_known(std::string name, const std::vector<std::uint8_t>& bytes,
                                 Expect expect, const Source& s, std::uint64_t intact) {
    Case& c = add(std::move(name), bytes, expect);
    c.rows = rows_through(s.rows, intact);
    c.records = intact;
    return c;
}

void HostileCaptures::run(std::size_t batch) {
    RunStats stats;
    const auto failures = run_cases(cases_, batch, dir_ / "scratch", stats);
    std::cout << "[ corpus   ] " << stats.files << " files, " << stats.invocations
              << " invocations of tcplab analyze, slowest " << stats.slowest_seconds << " s ("
              << stats.slowest << ")\n";
    std::string shown;
    for (std::size_t i = 0; i < failures.size() && i < 40; ++i) shown += failures[i] + "\n";
    EXPECT_TRUE(failures.empty()) << failures.size() << " violation(s), the first ones:\n" << shown;
}

}  // namespace tcplab::hostile
