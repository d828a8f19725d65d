// What a user reads on the command line, through the real binary: every --help screen fits
// app/cli.hpp's kHelpWidth with no trailing blanks, `scenario keys` lists every key the parser
// takes, and a bad flag value names the flag.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "scenario/spec.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"

namespace tcplab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct CliRun {
    int rc = -1;
    std::string out;
    std::string err;
};

CliRun tcplab(const std::string& args) {
    const test_support::ScratchDir dir("cli-help");
    const fs::path err = dir.path() / "stderr.txt";
    auto run =
        test_support::shell(std::string(TCPLAB_BINARY) + " " + args + " 2>'" + err.string() + "'");
    std::ifstream in(err);
    return {run.exit_code, std::move(run.out),
            std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())};
}

// Runs of blanks and line breaks as one blank: the listing wraps long entries.
std::string words(const std::string& text) {
    std::string out;
    for (const char c : text) {
        const bool blank = c == ' ' || c == '\n';
        if (!blank) {
            out += c;
        } else if (!out.empty() && out.back() != ' ') {
            out += ' ';
        }
    }
    return out;
}

class HelpScreen : public ::testing::TestWithParam<const char*> {};

TEST_P(HelpScreen, FitsTheWidthWithoutTrailingBlanks) {
    const CliRun run = tcplab(std::string(GetParam()) + " --help");
    ASSERT_EQ(run.rc, 0) << run.err;
    ASSERT_THAT(run.out, HasSubstr("usage: tcplab"));
    EXPECT_EQ(run.out.find("\n\n\n"), std::string::npos) << "two blank lines in a row";
    std::istringstream lines(run.out);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        EXPECT_LE(line.size(), 100U) << "line " << number << ": " << line;
        EXPECT_TRUE(line.empty() || line.back() != ' ')
            << "line " << number << ": '" << line << "'";
    }
}

INSTANTIATE_TEST_SUITE_P(EveryCommand, HelpScreen,
                         ::testing::Values("analyze", "ca init", "ca issue", "ca renew", "ca show",
                                           "tls server", "tls client", "gen syn", "gen handshake",
                                           "gen data", "gen flood", "net up", "net down",
                                           "net status", "net exec", "scenario list",
                                           "scenario keys", "scenario run", "scenario compare",
                                           "experiment run", "experiment merge", "vm run"));

TEST(ScenarioKeys, ListsEveryKeyOfTheParsersTable) {
    const CliRun run = tcplab("scenario keys");
    ASSERT_EQ(run.rc, 0) << run.err;
    const auto keys = scenario::scenario_keys();
    ASSERT_GT(keys.size(), 25U);
    const std::string listing = words(run.out);
    for (const auto& key : keys) {
        EXPECT_THAT(run.out, HasSubstr("\n  " + key.name + " ")) << key.name;
        EXPECT_THAT(listing, HasSubstr(words(key.name + " " + key.values + " " + key.meaning)))
            << key.name;
    }
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_LE(line.size(), 100U) << line;
    }
    // Spot checks that the table holds ranges, not only names.
    EXPECT_THAT(run.out, HasSubstr("loss"));
    EXPECT_THAT(run.out, HasSubstr("0..100"));
    EXPECT_THAT(run.out, HasSubstr("expect-handshake"));
}

TEST(FlagValue, ABadImpairmentFlagValueNamesTheFlag) {
    const CliRun run = tcplab("net up --dry-run --loss=150");
    EXPECT_EQ(run.rc, 2) << run.out;
    EXPECT_THAT(run.err, HasSubstr("--loss=150: must be a percentage in 0..100"));
    const CliRun c2s = tcplab("net up --dry-run --c2s.delay=-5");
    EXPECT_EQ(c2s.rc, 2) << c2s.out;
    EXPECT_THAT(c2s.err, HasSubstr("--c2s.delay=-5: must be >= 0"));
}

TEST(FlagValue, GreetingIsForGreetingModeAndItsEscapesAreChecked) {
    const CliRun echo = tcplab("tls server --mode echo --greeting hi --dir /nonexistent");
    EXPECT_EQ(echo.rc, 2) << echo.out;
    EXPECT_THAT(echo.err, HasSubstr("--greeting is sent in --mode greeting only"));
    const CliRun escape = tcplab("tls server --greeting 'bad\\q' --dir /nonexistent");
    EXPECT_EQ(escape.rc, 2) << escape.out;
    EXPECT_THAT(escape.err, HasSubstr("--greeting: unknown escape \\q"));
}

TEST(ScenarioFile, AnUnknownKeyPointsToScenarioKeys) {
    const test_support::ScratchDir dir("cli-keys");
    const fs::path file = dir.path() / "x.ini";
    std::ofstream(file) << "traffic = kernel-bulk 1000\nlossy = 3\n";
    const CliRun run = tcplab("scenario run " + file.string());
    EXPECT_EQ(run.rc, 2);
    EXPECT_THAT(run.err, HasSubstr(file.string() + ":2: key 'lossy': unknown key"));
    EXPECT_THAT(run.err, HasSubstr("`tcplab scenario keys`"));
}

}  // namespace
}  // namespace tcplab
