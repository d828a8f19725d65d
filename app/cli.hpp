#pragma once
// Shared flag parsing for the subcommands: Boost.Program_options with a uniform --help and bad
// flags turned into UsageError (exit 2) that names the flag.
#include <boost/program_options.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "app/commands.hpp"

namespace tcplab::app {

namespace po = boost::program_options;

// Help screens are this wide (the source's own column limit): the usage, the description, Boost's
// option table and the examples all wrap at it.
inline constexpr unsigned kHelpWidth = 100;

// An option group whose --help table wraps at kHelpWidth (Boost's default is 80, narrower than
// the descriptions around it).
po::options_description option_group(const std::string& caption);

struct CommandSpec {
    std::string usage;        // "tcplab analyze FILE... [options]"
    std::string description;  // what it does, printed under the usage line by --help
    std::string epilog;       // examples, printed after the options (may be empty)
};

// What --help prints: usage, description, options, epilog, each wrapped at kHelpWidth.
std::string help_text(const CommandSpec& spec, const po::options_description& options);

// parse_command_line's second half, for a command that parses its own way: stores what `parse`
// returns, answers --help with `shown` (nullopt), and turns Boost's errors into UsageError.
std::optional<po::variables_map> store_parsed(const CommandSpec& spec,
                                              const po::options_description& shown,
                                              const std::function<po::parsed_options()>& parse);

// Parses args; returns nullopt after printing help when --help/-h is given. Adds --help itself.
std::optional<po::variables_map> parse_command_line(
    const CommandSpec& spec, po::options_description options, const Args& args,
    const po::positional_options_description* positional = nullptr);

// A duration flag given in seconds: > 0 and at most max_seconds, else UsageError naming the flag.
std::chrono::milliseconds seconds_flag(double seconds, const char* flag, double max_seconds);

}  // namespace tcplab::app
