#pragma once
// Runs a scenario end to end: topology, impairment backend, captures, traffic, analysis, checks,
// report. The library does the work and writes the files; it prints progress lines to stderr only
// when asked (RunOptions::quiet=false), because `scenario run` is the one long-running command.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace tcplab::scenario {

struct RunOptions {
    std::string scenario;  // NAME or FILE.ini
    std::optional<std::filesystem::path> out_dir;
    std::optional<std::uint64_t> seed;  // overrides the file's seed
    std::string backend = "auto";       // auto | tc | userspace
    bool vm = false;                    // run inside User-Mode Linux
    int repeat = 1;
    bool vary_seed = false;  // with repeat: seed, seed+1, ... instead of one seed
    bool quiet = false;
};

// Returns the exit code: 0 every check passed, 1 a check failed. Throws UsageError /
// EnvironmentError / SystemError for bad input or an unusable machine.
int run_scenario_command(const RunOptions& options);

}  // namespace tcplab::scenario
