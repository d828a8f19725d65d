// A scenario file as `tcplab scenario run FILE.ini` reads it: parse_scenario() (load_scenario's
// parser, here over the bytes in memory rather than a file written per input) reads the INI
// (Boost.Program_options config syntax), the traffic lines and the impairment keys, and must
// either reject it with a UsageError naming the file, or return a spec that passes its own
// validation and has something to run (the runner trusts it from there on).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/errors.hpp"
#include "scenario/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::filesystem::path kFile = "fuzz.ini";
    const std::string text(data, data + size);
    tcplab::scenario::ScenarioSpec spec;
    try {
        spec = tcplab::scenario::parse_scenario(text, kFile);
    } catch (const tcplab::UsageError&) {
        return 0;
    }
    const auto problems = tcplab::netem::validate(spec.impairment);
    // A scenario's traffic is its traffic lines, or the user's client command (issue 19: a
    // scenario that only runs the user's programs has no built-in traffic).
    if (!problems.empty() || (spec.traffic.empty() && spec.commands.empty()) ||
        !(spec.timeout_s > 0 && spec.timeout_s <= 3600)) {
        std::fprintf(stderr, "parse_scenario accepted an invalid scenario (timeout %g)\n",
                     spec.timeout_s);
        std::abort();
    }
    return 0;
}
