// Scenario files: every shipped scenario loads, and a bad file is reported by file, line and key.
#include "scenario/spec.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
