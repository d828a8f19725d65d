// Scenario files: every shipped scenario loads, and a bad file is reported by file, line and key.
#include "scenario/spec.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "base/errors.hpp"
#include "tests/support/scratch_dir.hpp"

namespace tcplab::scenario {
namespace {

namespace fs = std::filesystem;

class ScenarioFile : public ::testing::Test {
protected:
    const ::tcplab::test_support::ScratchDir scratch_{"scenario-test"};
    const fs::path dir_ = scratch_.path();

    fs::path write(const std::string& name, const std::string& text) {
        const fs::path file = dir_ / name;
        std::ofstream(file) << text;
        return file;
    }

    // The UsageError message load_scenario throws for `text`.
    std::string error_for(const std::string& text) {
        const fs::path file = write("bad.ini", text);
        try {
            load_scenario(file.string());
        } catch (const UsageError& e) {
            return e.what();
        }
        ADD_FAILURE() << "no error for:\n" << text;
        return "";
    }
};

TEST_F(ScenarioFile, EveryShippedScenarioLoads) {
    const auto specs = list_scenarios();
    std::vector<std::string> names;
    for (const auto& spec : specs) {
        names.push_back(spec.name);
        EXPECT_FALSE(spec.description.empty()) << spec.name;
        EXPECT_FALSE(spec.traffic.empty()) << spec.name;
    }
    for (const char* required : {"loss0", "loss10", "delay100", "jitter", "reorder", "duplicate",
                                 "corrupt", "synloss", "synackloss", "finloss", "ackloss",
                                 "burstloss", "rate-limit", "tls-loss10", "crafted-handshake"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
    }
}

TEST_F(ScenarioFile, Loss10MeansTenPercentBothWays) {
    const ScenarioSpec spec = load_scenario("loss10");
    EXPECT_DOUBLE_EQ(spec.impairment.client_to_server.loss_percent, 10);
    EXPECT_DOUBLE_EQ(spec.impairment.server_to_client.loss_percent, 10);
    EXPECT_EQ(spec.impairment.seed, 10U);
    EXPECT_EQ(spec.expect.retransmissions, Expectations::Retransmissions::some);
}

TEST_F(ScenarioFile, DirectionalKeysAndSectionsApplyToOneDirection) {
    const fs::path file =
        write("dir.ini",
              "description = d\ntraffic = kernel-bulk 10\n[s2c]\ndrop-synack = 2\n"
              "[c2s]\ndelay = 10\nreorder = 25\n");
    const ScenarioSpec spec = load_scenario(file.string());
    EXPECT_EQ(spec.impairment.server_to_client.schedule.drop_first_synacks, 2U);
    EXPECT_EQ(spec.impairment.client_to_server.schedule.drop_first_synacks, 0U);
    EXPECT_DOUBLE_EQ(spec.impairment.client_to_server.reorder_percent, 25);
    EXPECT_EQ(spec.name, "dir");
}

TEST_F(ScenarioFile, UnknownKeyNamesFileLineAndKey) {
    const std::string msg = error_for("description = x\ntraffic = kernel-bulk 10\n\nlosss = 10\n");
    EXPECT_NE(msg.find("bad.ini:4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("losss"), std::string::npos) << msg;
}

TEST_F(ScenarioFile, UnknownKeyInSectionNamesItsLine) {
    const std::string msg = error_for("traffic = tls-greeting\n[c2s]\nlos = 1\n");
    EXPECT_NE(msg.find("bad.ini:3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("c2s.los"), std::string::npos) << msg;
}

TEST_F(ScenarioFile, BadValuesAreRejectedWithTheKey) {
    EXPECT_NE(
        error_for("traffic = kernel-bulk 10\nexpect-retransmissions = maybe\n").find("bad.ini:2"),
        std::string::npos);
    EXPECT_NE(error_for("traffic = kernel-bulk lots\n").find("byte count"), std::string::npos);
    EXPECT_NE(error_for("traffic = tcp-ping\n").find("unknown traffic kind"), std::string::npos);
    EXPECT_NE(error_for("description = no traffic\n").find("traffic"), std::string::npos);
    EXPECT_NE(error_for("traffic = tls-greeting\nloss = 120\n").find("loss"), std::string::npos);
}

// Every bad value reads "FILE:LINE: KEY = VALUE: REASON", the line the key is on.
struct BadValueCase {
    const char* text;
    const char* message;  // after the directory
};

class ScenarioBadValue : public ScenarioFile, public ::testing::WithParamInterface<BadValueCase> {};

TEST_P(ScenarioBadValue, NamesFileLineKeyAndValue) {
    const std::string msg = error_for(GetParam().text);
    EXPECT_EQ(msg, (dir_ / "bad.ini").string() + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    EachKind, ScenarioBadValue,
    ::testing::Values(
        BadValueCase{"traffic = kernel-bulk 10\n\n\nloss = 150\n",
                     ":4: loss = 150: must be a percentage in 0..100"},
        BadValueCase{"traffic = kernel-bulk 10\n[s2c]\ndelay = 10\nloss = 150\n",
                     ":4: s2c.loss = 150: must be a percentage in 0..100"},
        BadValueCase{"traffic = kernel-bulk 10\nc2s.rate = fast\n",
                     ":2: c2s.rate = fast: not a number"},
        BadValueCase{"traffic = kernel-bulk 10\ndrop-data-segment = 0\n",
                     ":2: drop-data-segment = 0: segments are numbered from 1"},
        BadValueCase{"traffic = kernel-bulk 10\nseed = -1\n",
                     ":2: seed = -1: not a non-negative integer"},
        BadValueCase{"traffic = kernel-bulk 10\ntimeout = 9999\n",
                     ":2: timeout = 9999: must be 0 < S <= 3600 seconds"},
        BadValueCase{"description = x\ntraffic = kernel-bulk lots\n",
                     ":2: traffic = kernel-bulk lots: needs a byte count 0..17179869184 (16 GiB), "
                     "e.g. 'kernel-bulk 300000'"},
        BadValueCase{"traffic = tls-greeting\nexpect-handshake = maybe\n",
                     ":2: expect-handshake = maybe: must be completed or failed"}));

// A key given as a flag overrides the file's, and a bad one is named as the flag, not as the
// file's line that it replaced.
TEST_F(ScenarioFile, ABadFlagValueIsNamedAsTheFlag) {
    const fs::path file = write("flags.ini", "traffic = tls-greeting\nloss = 10\n");
    try {
        load_scenario(file.string(), {"--loss=150"});
        ADD_FAILURE() << "no error for --loss=150";
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "--loss=150: must be a percentage in 0..100");
    }
    try {
        load_scenario(file.string(), {"--timeout", "0"});
        ADD_FAILURE() << "no error for --timeout 0";
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "--timeout=0: must be 0 < S <= 3600 seconds");
    }
    try {
        load_scenario(file.string(), {"--limit", "5"});
        ADD_FAILURE() << "no error for --limit without delay or rate";
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "--limit: does nothing without delay or rate (no queue builds up)");
    }
}

TEST_F(ScenarioFile, UnknownKeyPointsToScenarioKeys) {
    const std::string msg = error_for("traffic = tls-greeting\nlossy = 3\n");
    EXPECT_NE(msg.find("bad.ini:2: key 'lossy': unknown key"), std::string::npos) << msg;
    EXPECT_NE(msg.find("`tcplab scenario keys`"), std::string::npos) << msg;
}

TEST(ScenarioKeys, HoldEveryKeyTheParserTakesOnce) {
    std::set<std::string> names;
    for (const auto& key : scenario_keys()) {
        EXPECT_TRUE(names.insert(key.name).second) << "twice: " << key.name;
        EXPECT_FALSE(key.values.empty()) << key.name;
        EXPECT_FALSE(key.meaning.empty()) << key.name;
    }
    // Each listed key is one the parser takes (a value it may refuse, never an unknown key).
    for (const auto& name : names) {
        try {
            parse_scenario("traffic = tls-greeting\n" + name + " = 1\n", "keys.ini");
        } catch (const UsageError& e) {
            EXPECT_EQ(std::string(e.what()).find("unknown key"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(names.count("loss"), 1U);
    EXPECT_EQ(names.count("expect-syn-rto"), 1U);
}

// Boost reads "nan" as a double, and NaN fails every comparison: a range check written as
// "reject if below or above" let timeout = nan through (the fuzz_scenario_spec invariant).
TEST_F(ScenarioFile, NotANumberTimeoutIsRejected) {
    EXPECT_NE(error_for("traffic = tls-greeting\ntimeout = nan\n").find("timeout"),
              std::string::npos);
    EXPECT_NE(error_for("traffic = tls-greeting\ntimeout = inf\n").find("timeout"),
              std::string::npos);
}

// Boost's own message for a bad value loops forever when the value holds its placeholder
// (found by fuzz_scenario_spec): the file is rejected with the text as written.
TEST_F(ScenarioFile, ValueLookingLikeABoostPlaceholderIsRejected) {
    const std::string msg = error_for("traffic = tls-greeting\ntimeout = %value%\n");
    EXPECT_NE(msg.find("bad.ini:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("('%value%')"), std::string::npos) << msg;
}

TEST_F(ScenarioFile, SettingsThatCannotWorkTogetherNameTheirLineOnce) {
    // limit for both directions: one message, at its line, named as written (no "--", no c2s.).
    EXPECT_EQ(error_for("traffic = tls-greeting\n\nlimit = 5\n"),
              (dir_ / "bad.ini").string() +
                  ":3: limit: does nothing without delay or rate (no queue builds up)");
    // One direction's key in a section: named with its direction.
    EXPECT_EQ(error_for("traffic = tls-greeting\n[s2c]\nreorder = 25\n"),
              (dir_ / "bad.ini").string() +
                  ":3: s2c.reorder: does nothing without delay > 0 (reordered packets are those "
                  "sent without the delay)");
}

TEST_F(ScenarioFile, SettingsThatDoNothingAreRejected) {
    // netem reorders only packets it delays: reorder without delay does nothing.
    EXPECT_NE(error_for("traffic = tls-greeting\nreorder = 25\n").find("reorder"),
              std::string::npos);
}

TEST_F(ScenarioFile, UnknownNameListsTheKnownOnes) {
    try {
        load_scenario("no-such-scenario");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("loss10"), std::string::npos) << e.what();
    }
}

// Every key is a flag too, and a flag overrides the file's key.
TEST_F(ScenarioFile, FlagsOverrideTheFilesKeys) {
    const fs::path file =
        write("base.ini", "traffic = kernel-bulk 1000\nloss = 5\nc2s.delay = 20\n");
    const ScenarioSpec spec =
        load_scenario(file.string(), {"--loss", "10", "--c2s.delay=50", "--ipv6", "true"});
    EXPECT_DOUBLE_EQ(spec.impairment.client_to_server.loss_percent, 10);
    EXPECT_DOUBLE_EQ(spec.impairment.client_to_server.delay_ms, 50);
    EXPECT_DOUBLE_EQ(spec.impairment.server_to_client.delay_ms, 0);
    EXPECT_TRUE(spec.ipv6);
    EXPECT_EQ(spec.name, "base");
}

TEST_F(ScenarioFile, AScenarioOfFlagsAloneRunsTheUsersCommands) {
    const ScenarioSpec spec = load_scenario(
        "", {"--loss", "10", "--server", "python3 -m http.server 8080", "--client", "curl -sf x",
             "--server-ready-port", "8080", "--client-timeout", "30", "--expect-client-exit", "3"});
    EXPECT_EQ(spec.name, "command-line");
    EXPECT_TRUE(spec.traffic.empty());
    EXPECT_EQ(spec.commands.server, "python3 -m http.server 8080");
    EXPECT_EQ(spec.commands.client, "curl -sf x");
    EXPECT_EQ(spec.commands.ready_port, 8080);
    EXPECT_DOUBLE_EQ(spec.commands.client_timeout_s, 30);
    EXPECT_EQ(spec.commands.expect_client_exit, 3);
}

TEST_F(ScenarioFile, BadFlagsAndCommandKeysAreNamed) {
    auto error = [](const std::vector<std::string>& flags) {
        try {
            load_scenario("", flags);
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error({"--lose", "10"}).find("unknown option --lose"), std::string::npos);
    EXPECT_NE(error({"--loss", "10"}).find("no 'traffic = ...' line and no client command"),
              std::string::npos);
    EXPECT_NE(error({"--server", "x"}).find("a server command needs a client command"),
              std::string::npos);
    EXPECT_NE(error({"--client", "x", "--server-ready-port", "70000"}).find("must be 1..65535"),
              std::string::npos);
    EXPECT_NE(error({"--client", "x", "--client-timeout", "0"}).find("client-timeout"),
              std::string::npos);
}

}  // namespace
}  // namespace tcplab::scenario
