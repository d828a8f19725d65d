// option_error_message(): Boost.Program_options' own wording, rendered in one pass, so that a
// value holding a placeholder ("%value%") cannot make what() loop forever (fuzz_scenario_spec).
#include "netem/impair/option_error.hpp"

#include <gtest/gtest.h>

#include <boost/program_options.hpp>
#include <sstream>

namespace tcplab::netem {
namespace {

namespace po = boost::program_options;

// Parses `text` as a config file with two typed keys; calls check(error) on the error it throws.
template <class Check>
void with_config_error(const std::string& text, Check check) {
    po::options_description desc;
    desc.add_options()("timeout", po::value<double>())("ipv6", po::value<bool>());
    std::istringstream in(text);
    try {
        po::variables_map vm;
        po::store(po::parse_config_file(in, desc, false), vm);
        ADD_FAILURE() << "no error for: " << text;
    } catch (const po::error& e) {
        check(e);
    }
}

TEST(OptionErrorMessage, IsBoostsWordingForOrdinaryInput) {
    for (const char* text : {"timeout = abc\n", "ipv6 = maybe\n", "timeout = 1\ntimeout = 2\n",
                             "no equals sign\n", "colour = red\n", "[c2s]\ntimeout = x\n"}) {
        with_config_error(text, [&](const po::error& e) {
            EXPECT_EQ(option_error_message(e), e.what()) << text;
        });
    }
}

TEST(OptionErrorMessage, PlaceholdersInTheInputAreQuotedNotExpanded) {
    // Boost's what() never returns for these two.
    with_config_error("timeout = %value%\n", [](const po::error& e) {
        EXPECT_EQ(option_error_message(e),
                  "the argument ('%value%') for option 'timeout' is invalid");
    });
    with_config_error("%invalid_line%\n", [](const po::error& e) {
        EXPECT_EQ(option_error_message(e),
                  "the options configuration file contains an invalid line '%invalid_line%'");
    });
    // Another key's placeholder is not expanded either (Boost would insert the option name).
    with_config_error("timeout = %canonical_option%\n", [](const po::error& e) {
        EXPECT_EQ(option_error_message(e),
                  "the argument ('%canonical_option%') for option 'timeout' is invalid");
    });
}

}  // namespace
}  // namespace tcplab::netem
