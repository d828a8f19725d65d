#include "app/cli.hpp"

#include <cmath>
#include <iostream>

#include "base/errors.hpp"
#include "netem/impair/option_error.hpp"

namespace tcplab::app {

std::optional<po::variables_map> parse_command_line(
    const CommandSpec& spec, po::options_description options, const Args& args,
    const po::positional_options_description* positional) {
    options.add_options()("help,h", "show this help and exit");
    po::variables_map vm;
    try {
        po::command_line_parser parser(args);
        parser.options(options);
        if (positional != nullptr) {
            parser.positional(*positional);
        }
        po::store(parser.run(), vm);
        if (vm.count("help") != 0U) {
            std::cout << "usage: " << spec.usage << "\n\n"
                      << spec.description << "\n\n"
                      << options << (spec.epilog.empty() ? "" : "\n" + spec.epilog + "\n");
            return std::nullopt;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        // Not e.what(): Boost's never returns for a value like "%value%"
        // (netem/impair/option_error.hpp).
        throw UsageError(netem::option_error_message(e) + "\nusage: " + spec.usage +
                         "  (see --help)");
    }
    return vm;
}

std::chrono::milliseconds seconds_flag(double seconds, const char* flag, double max_seconds) {
    if (!(seconds > 0) || !(seconds <= max_seconds)) {  // also refuses NaN and infinity
        throw UsageError(std::string(flag) + " must be a number of seconds in (0, " +
                         std::to_string(static_cast<long long>(max_seconds)) + "]");
    }
    return std::chrono::milliseconds(std::llround(seconds * 1000));
}

}  // namespace tcplab::app
