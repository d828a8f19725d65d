// A scenario file as `tcplab scenario run FILE.ini` reads it: load_scenario() parses the INI
// (Boost.Program_options config syntax), the traffic lines and the impairment keys, and must
// either reject it with a UsageError naming the file, or return a spec that passes its own
// validation (the runner trusts it from there on).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/scratch_dir.hpp"
#include "netem/scenario_spec.hpp"
#include "packet/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const tcplab::fuzz::ScratchDir dir;
    const std::string path = dir.write("fuzz.ini", data, size);
    tcplab::netem::ScenarioSpec spec;
    try {
        spec = tcplab::netem::load_scenario(path);
    } catch (const tcplab::UsageError&) {
        return 0;
    }
    const auto problems = tcplab::netem::validate(spec.impairment);
    if (!problems.empty() || spec.traffic.empty() || !(spec.timeout_s > 0 && spec.timeout_s <= 3600)) {
        std::fprintf(stderr, "load_scenario accepted an invalid scenario (timeout %g)\n", spec.timeout_s);
        std::abort();
    }
    return 0;
}
