// The stale rule (topology_stale.hpp) without root: a private state directory, forked owners that
// die, dry-run removal. Namespace-level behaviour (orphans in /run/netns) is in
// tests/integration/netem/topology_integration_test.cpp.
#include "netem/lab/topology_stale.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/command.hpp"
#include "netem/lab/run_state.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace tcplab::netem;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {

class StaleDir : public ::testing::Test {
protected:
    const ::tcplab::test_support::ScratchDir scratch_{"stale-test"};
    const fs::path dir_ = scratch_.path();

    // A run claimed by a child that exits without cleaning up, like a SIGKILLed owner.
    void dead_run(int id, const std::vector<RunObject>& objects) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            auto file = RunStateFile::claim(dir_, id);
            if (!file) ::_exit(1);
            for (const auto& o : objects) file->add(o);
            ::_exit(0);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
};

pid_t dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return child;
}

}  // namespace

// facts -> action, in the order the rule checks them.
TEST(OrphanRule, OnlyUnrecordedUnusedAndOldNamespacesAreRemoved) {
    const seconds grace{600};
    struct Row {
        bool state_file;
        const char* used_by;
        long age_s;
        OrphanAction expected;
    };
    const Row rows[] = {
        {true, "", 100000, OrphanAction::keep_recorded},  // a run (live or stale) owns it
        {true, "pid 1 (x)", 0, OrphanAction::keep_recorded},
        {false, "thread 12 of pid 10 (tcplab)", 100000, OrphanAction::keep_in_use},
        {false, "a descriptor of pid 10 (x)", 100000, OrphanAction::keep_in_use},
        {false, "", 0, OrphanAction::keep_young},  // a fixture that has not entered it yet
        {false, "", 599, OrphanAction::keep_young},
        {false, "", 600, OrphanAction::remove},
        {false, "", 100000, OrphanAction::remove},
    };
    for (const auto& row : rows) {
        OrphanFacts facts;
        facts.state_file_exists = row.state_file;
        facts.used_by = row.used_by;
        facts.age = seconds(row.age_s);
        EXPECT_EQ(judge_orphan(facts, grace), row.expected)
            << row.state_file << " '" << row.used_by << "' " << row.age_s;
    }
}

TEST_F(StaleDir, OwnerIdentityIsPidPlusStartTime) {
    auto live = RunStateFile::claim(dir_, 3);
    ASSERT_TRUE(live);
    EXPECT_EQ(run_status(*read_run(dir_, 3)), RunStatus::running);

    RunRecord reused = live->record();  // same pid, another start time: a recycled pid
    reused.pid_start_ticks += 1;
    EXPECT_EQ(run_status(reused), RunStatus::stale);

    RunRecord gone = live->record();
    gone.pid = dead_pid();
    EXPECT_EQ(run_status(gone), RunStatus::stale);

    RunRecord detached = gone;
    detached.detached = true;
    EXPECT_EQ(run_status(detached), RunStatus::detached);

    RunRecord broken;
    broken.parse_error = "x: bad json";  // owner unknown: never judged stale
    EXPECT_EQ(run_status(broken), RunStatus::unreadable);
    EXPECT_FALSE(is_stale(broken));
}

// The claim is a link(2) of a complete file: a concurrent reader never sees it empty or partial,
// so a sweep can never take a run that is being created for a dead one.
TEST_F(StaleDir, ClaimsAndRewritesAreNeverSeenHalfWritten) {
    fs::create_directories(dir_);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        for (int round = 0; round < 150; ++round) {
            auto file = RunStateFile::claim(dir_, 1 + round % 5);
            if (!file) ::_exit(1);
            file->add({"netns", "", "tl1-cli"});
            file->add({"link", "tl1-cli", "veth-c"});
            file->remove();
        }
        ::_exit(0);
    }
    int reads = 0;
    int status = 0;
    while (::waitpid(child, &status, WNOHANG) == 0) {
        for (const auto& r : list_runs(dir_)) {
            ++reads;
            ASSERT_TRUE(r.parse_error.empty()) << r.parse_error;
            ASSERT_EQ(r.pid, child);
            // Running while the owner runs. A record read just before the child's last remove()
            // and _exit() is stale once the child has exited (a zombie is not alive).
            if (const RunStatus status_now = run_status(r); status_now != RunStatus::running) {
                siginfo_t info{};
                ASSERT_EQ(
                    ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT),
                    0);
                ASSERT_EQ(info.si_pid, child) << "judged " << static_cast<int>(status_now)
                                              << " while its owner was still running";
            }
        }
    }
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_TRUE(list_runs(dir_).empty());
    RecordProperty("records_read", reads);
}

// Two topologies of one process coming up at once: one thread rewrites its run file while the
// other tries to claim the same id. Each write has its own temporary file, so the failed claim
// never truncates or removes the rewrite's (seen under ASan as "cannot replace run-1.json").
TEST_F(StaleDir, ThreadsOfOneProcessNeverShareATemporaryFile) {
    auto file = RunStateFile::claim(dir_, 1);
    ASSERT_TRUE(file.has_value());
    file->add({"netns", "", "tl1-cli"});  // the claimer's record (same pid) has no objects
    std::atomic<bool> done{false};
    std::string claim_error;  // before the fix: "cannot create .../run-1.json: No such file..."
    std::thread claimer([&] {
        try {
            while (!done) {
                if (RunStateFile::claim(dir_, 1).has_value()) claim_error = "claimed a taken id";
            }
        } catch (const std::exception& e) {
            claim_error = e.what();
        }
    });
    std::string rewrite_error;
    for (int i = 0; i < 2000 && rewrite_error.empty(); ++i) {
        try {
            file->set_detached(false);  // a rewrite of the same small record
        } catch (const std::exception& e) {
            rewrite_error = "rewrite " + std::to_string(i) + ": " + e.what();
        }
    }
    done = true;
    claimer.join();
    ASSERT_EQ(rewrite_error, "");
    ASSERT_EQ(claim_error, "");
    const auto record = read_run(dir_, 1);
    ASSERT_TRUE(record.has_value());
    EXPECT_TRUE(record->parse_error.empty()) << record->parse_error;
    EXPECT_EQ(record->objects.size(), 1U) << "the failed claim's record replaced the owner's";
    file->remove();
}

TEST_F(StaleDir, ClaimsWaitForTheSweepLock) {
    std::atomic<bool> claimed{false};
    std::optional<StateDirLock> lock;
    lock.emplace(dir_);
    std::thread claimer([&] {
        auto file = RunStateFile::claim(dir_, 8);
        claimed = file.has_value();
        file->remove();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(claimed.load()) << "a claim went through while a sweep held the lock";
    lock.reset();
    claimer.join();
    EXPECT_TRUE(claimed.load());
}

TEST_F(StaleDir, PlanAndDryRunRemoveExactlyTheDeadOwnersObjectsInReverse) {
    dead_run(4,
             {{"netns", "", "tl4-cli"}, {"netns", "", "tl4-srv"}, {"link", "tl4-cli", "veth-c"}});
    auto live = RunStateFile::claim(dir_, 5);
    ASSERT_TRUE(live);
    live->add({"netns", "", "tl5-cli"});
    std::ofstream(dir_ / "run-6.json") << "{ truncated";

    StaleOptions options;
    options.state_dir = dir_;
    options.only_ids = std::set<int>{4, 5, 6};
    const StalePlan plan = plan_stale(options);
    ASSERT_EQ(plan.runs.size(), 3U);
    const auto stale = plan.stale();
    ASSERT_EQ(stale.size(), 1U);
    EXPECT_EQ(stale[0].run_id, 4);

    tcplab::DryRunRunner dry;
    options.runner = &dry;
    const auto report = down_stale(options);
    EXPECT_TRUE(report.failures.empty());
    ASSERT_EQ(report.removed.size(), 1U);
    EXPECT_NE(report.removed[0].find("run 4 (owner pid"), std::string::npos) << report.removed[0];
    ASSERT_EQ(dry.commands().size(), 3U);
    EXPECT_EQ(tcplab::format_command(dry.commands()[0]), "ip -n tl4-cli link del veth-c");
    EXPECT_EQ(tcplab::format_command(dry.commands()[1]), "ip netns del tl4-srv");
    EXPECT_EQ(tcplab::format_command(dry.commands()[2]), "ip netns del tl4-cli");
    // Dry run: nothing removed, the live and the unreadable run untouched either way.
    EXPECT_TRUE(fs::exists(run_file(dir_, 4)));
    EXPECT_TRUE(fs::exists(run_file(dir_, 5)));
    EXPECT_TRUE(fs::exists(run_file(dir_, 6)));
}

TEST_F(StaleDir, TempFilesOfDeadWritersAreRemovedOthersKept) {
    fs::create_directories(dir_);
    const auto dead = dir_ / ("run-3.json.tmp." + std::to_string(dead_pid()));
    const auto dead_numbered = dir_ / ("run-4.json.tmp." + std::to_string(dead_pid()) + ".7");
    const auto mine = dir_ / ("run-3.json.tmp." + std::to_string(::getpid()));
    const auto mine_numbered = dir_ / ("run-3.json.tmp." + std::to_string(::getpid()) + ".0");
    const auto other = dir_ / "notes.tmp.1";
    const auto odd = dir_ / ("run-5.json.tmp." + std::to_string(dead_pid()) + ".x");
    for (const auto& p : {dead, dead_numbered, mine, mine_numbered, other, odd}) {
        std::ofstream(p) << "x";
    }
    auto removed = remove_dead_temp_files(dir_);
    std::sort(removed.begin(), removed.end());
    ASSERT_EQ(removed.size(), 2U);
    EXPECT_EQ(removed[0], dead.filename().string());
    EXPECT_EQ(removed[1], dead_numbered.filename().string());
    EXPECT_FALSE(fs::exists(dead));
    EXPECT_FALSE(fs::exists(dead_numbered));
    EXPECT_TRUE(fs::exists(mine));
    EXPECT_TRUE(fs::exists(mine_numbered));
    EXPECT_TRUE(fs::exists(other));
    EXPECT_TRUE(fs::exists(odd));
}
