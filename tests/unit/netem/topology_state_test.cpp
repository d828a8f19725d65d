// The run state file: O_EXCL id claims, atomic rewrites, owner liveness (pid + start time) and
// the argv runner used by every topology command. No root needed: a private state directory.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "base/command.hpp"
#include "base/errors.hpp"
#include "netem/lab/run_state.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace tcplab::netem;
namespace fs = std::filesystem;

namespace {

class StateDir : public ::testing::Test {
protected:
    const ::tcplab::test_support::ScratchDir scratch_{"state-test"};
    const fs::path dir_ = scratch_.path();
};

}  // namespace

TEST_F(StateDir, ClaimIsExclusiveAndRecordsOwner) {
    auto first = RunStateFile::claim(dir_, 5);
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(RunStateFile::claim(dir_, 5).has_value());  // O_EXCL: taken
    const auto record = read_run(dir_, 5);
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->pid, ::getpid());
    EXPECT_TRUE(owner_alive(*record));
    EXPECT_FALSE(is_stale(*record));
    EXPECT_THROW(RunStateFile::claim(dir_, 0), tcplab::UsageError);
    EXPECT_THROW(RunStateFile::claim(dir_, 251), tcplab::UsageError);
}

TEST_F(StateDir, ObjectsAreWrittenBeforeCreationAndSurviveReread) {
    auto file = RunStateFile::claim(dir_, 9);
    ASSERT_TRUE(file);
    file->add({"netns", "", "tl9-cli"});
    file->add({"link", "tl9-cli", "veth-c"});
    const auto record = read_run(dir_, 9);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->objects,
              (std::vector<RunObject>{{"netns", "", "tl9-cli"}, {"link", "tl9-cli", "veth-c"}}));
    file->set_detached(true);
    EXPECT_TRUE(read_run(dir_, 9)->detached);
    EXPECT_FALSE(is_stale(*read_run(dir_, 9)));
    file->remove();
    EXPECT_FALSE(read_run(dir_, 9).has_value());
}

TEST_F(StateDir, ClaimFreeTakesTheLowestFreeIdAndConcurrentClaimsDiffer) {
    auto a = RunStateFile::claim_free(dir_);
    auto b = RunStateFile::claim_free(dir_);
    EXPECT_NE(a.record().run_id, b.record().run_id);
    EXPECT_EQ(list_runs(dir_).size(), 2U);
}

TEST_F(StateDir, DeadOwnerMakesARunStale) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto file = RunStateFile::claim(dir_, 11);
        ::_exit(file ? 0 : 1);  // exits without removing: like a SIGKILLed owner
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(WEXITSTATUS(status), 0);
    const auto record = read_run(dir_, 11);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->pid, child);
    EXPECT_FALSE(owner_alive(*record));
    EXPECT_TRUE(is_stale(*record));
}

TEST_F(StateDir, GarbageFileIsReportedNotFatal) {
    fs::create_directories(dir_);
    std::ofstream(dir_ / "run-17.json") << "{ not json";
    std::ofstream(dir_ / "unrelated.txt") << "x";
    const auto runs = list_runs(dir_);
    ASSERT_EQ(runs.size(), 1U);
    EXPECT_EQ(runs[0].run_id, 17);
    EXPECT_NE(runs[0].parse_error.find("run-17.json"), std::string::npos);
}

TEST(ProcessStart, OwnPidHasAStartTimeAndAMissingPidHasNone) {
    EXPECT_TRUE(process_start_ticks(::getpid()).has_value());
    EXPECT_FALSE(process_start_ticks(0).has_value());
    EXPECT_FALSE(process_start_ticks(999999999).has_value());
}

TEST(ProcessStart, AnExitedChildNotYetReapedHasNone) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::_exit(0);
    }
    // Until waitpid() it is a zombie: /proc/<pid>/stat still exists, with its start time.
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
    EXPECT_TRUE(std::filesystem::exists("/proc/" + std::to_string(child) + "/stat"));
    EXPECT_FALSE(process_start_ticks(child).has_value());
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
}

TEST(CommandRunner, CapturesOutputAndExitCode) {
    tcplab::SystemRunner runner;
    const auto ok = runner.run({"sh", "-c", "echo out; echo err >&2"});
    EXPECT_EQ(ok.exit_code, 0);
    EXPECT_EQ(ok.out, "out\n");
    EXPECT_EQ(ok.err, "err\n");
    const auto failed = runner.run({"sh", "-c", "exit 3"}, false);
    EXPECT_EQ(failed.exit_code, 3);
}

TEST(CommandRunner, FailureNamesTheCommandAndItsStderr) {
    tcplab::SystemRunner runner;
    try {
        runner.run({"sh", "-c", "echo 'RTNETLINK answers: File exists' >&2; exit 2"});
        FAIL();
    } catch (const tcplab::SystemError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("exit 2"), std::string::npos) << what;
        EXPECT_NE(what.find("sh -c"), std::string::npos) << what;
        EXPECT_NE(what.find("RTNETLINK answers: File exists"), std::string::npos) << what;
    }
    EXPECT_THROW(runner.run({"/nonexistent/tool"}), tcplab::EnvironmentError);
}

TEST(CommandRunner, ArgvIsNotInterpretedByAShell) {
    tcplab::SystemRunner runner;
    const auto r = runner.run({"printf", "%s|", "a b", "$HOME", ";", "*"});
    EXPECT_EQ(r.out, "a b|$HOME|;|*|");
}

TEST(CommandRunner, TimeoutKillsTheCommand) {
    tcplab::SystemRunner runner(std::chrono::milliseconds(200));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(runner.run({"sleep", "5"}), tcplab::SystemError);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(CommandRunner, FormatQuotesOnlyWhenNeeded) {
    EXPECT_EQ(tcplab::format_command({"ip", "-n", "tl1-cli", "addr", "add", "fd7c:1:1::2/64"}),
              "ip -n tl1-cli addr add fd7c:1:1::2/64");
    EXPECT_EQ(tcplab::format_command({"nft", "add", "chain", "{", ";", "it's"}),
              "nft add chain '{' ';' 'it'\\''s'");
    tcplab::DryRunRunner dry;
    EXPECT_TRUE(dry.dry_run());
    EXPECT_EQ(dry.run({"ip", "netns", "add", "x"}).exit_code, 0);
    EXPECT_EQ(dry.commands().size(), 1U);
}
