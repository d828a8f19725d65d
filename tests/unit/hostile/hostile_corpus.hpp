#pragma once
// The hostile-capture corpus and its judge. A Case is one file plus what `tcplab analyze` must
// do with it; run_cases() runs the real binary over every case in text, json and
// `--frames --format tsv` mode (many files per invocation where the outcome is known, so the
// corpus stays fast; a crashed or hung invocation is re-run file by file to name the culprit)
// and returns one readable line per violation.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tcplab::hostile {

enum class Expect {
    clean,       // exit 0, no damage warning
    damaged,     // exit 0, a warning naming the file and `record` (+ offset)
    unreadable,  // exit 2, a message naming the file and the offset / file header
    readable,    // exit 0 (warnings allowed, each naming the file)
    any,         // exit 0 or 2, as above; bit flips and fuzzer findings
};

struct Case {
    std::string name;  // what the file is, for failure messages
    std::filesystem::path file;
    Expect expect = Expect::any;
    std::uint64_t record = 0;                      // damaged: the record the warning names
    std::optional<std::vector<std::string>> rows;  // the exact TSV rows, when known
    std::optional<std::uint64_t> records;          // json summary.records, when known
};

struct RunStats {
    std::size_t files = 0;
    std::size_t invocations = 0;
    double slowest_seconds = 0;
    std::string slowest;
};

// batch: how many files one invocation may take (1: every file alone).
std::vector<std::string> run_cases(const std::vector<Case>& cases, std::size_t batch,
                                   const std::filesystem::path& scratch, RunStats& stats);

// The TSV rows (header and comments dropped) of one file's section of `tcplab analyze
// --frames --format tsv` output; with several files, the section after "# file: PATH".
std::vector<std::string> tsv_rows(const std::string& out, const std::string& path, bool labelled);

// Rows whose frame number is at most `last_frame`.
std::vector<std::string> rows_through(const std::vector<std::string>& rows,
                                      std::uint64_t last_frame);

}  // namespace tcplab::hostile
