#pragma once
// The message of a Boost.Program_options error, safe for any user input.
//
// Boost (1.74) builds what() by replacing each "%name%" placeholder of its template with a value
// in a loop that rescans what it inserted, so a value holding its own placeholder never ends:
// `timeout = %value%` in a scenario file, a config line `%invalid_line%`, `--stream %value%` on
// the command line all hang in what() (found by fuzz_scenario_spec). This renders the same
// message in one pass over the template.
#include <boost/program_options/errors.hpp>
#include <string>

namespace tcplab::netem {

std::string option_error_message(const boost::program_options::error& error);

}  // namespace tcplab::netem
