#include "app/cli.hpp"

#include <cmath>
#include <iostream>
#include <sstream>

#include "base/errors.hpp"
#include "base/text_wrap.hpp"
#include "netem/impair/option_error.hpp"

namespace tcplab::app {

po::options_description option_group(const std::string& caption) {
    // Descriptions get at least half the width: long option names wrap, not the text beside them.
    return po::options_description(caption, kHelpWidth, kHelpWidth / 2);
}

std::string help_text(const CommandSpec& spec, const po::options_description& options) {
    std::ostringstream table;
    table << options;
    // Boost starts an uncaptioned description that holds captioned groups with a blank line.
    std::string rows = table.str();
    rows.erase(0, rows.find_first_not_of('\n'));
    // A continued usage or example line is indented under its start.
    std::string text = wrap_text("usage: " + spec.usage, kHelpWidth, 4) + "\n\n" +
                       wrap_text(spec.description, kHelpWidth) + "\n\n" +
                       wrap_text(rows, kHelpWidth);
    if (!spec.epilog.empty()) {
        text += "\n" + wrap_text(spec.epilog, kHelpWidth, 4) + "\n";
    }
    return text;
}

std::optional<po::variables_map> parse_command_line(
    const CommandSpec& spec, po::options_description options, const Args& args,
    const po::positional_options_description* positional) {
    options.add_options()("help,h", "show this help and exit");
    return store_parsed(spec, options, [&] {
        po::command_line_parser parser(args);
        parser.options(options);
        if (positional != nullptr) {
            parser.positional(*positional);
        }
        return parser.run();
    });
}

std::optional<po::variables_map> store_parsed(const CommandSpec& spec,
                                              const po::options_description& shown,
                                              const std::function<po::parsed_options()>& parse) {
    po::variables_map vm;
    try {
        po::store(parse(), vm);
        if (vm.count("help") != 0U) {
            std::cout << help_text(spec, shown);
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
