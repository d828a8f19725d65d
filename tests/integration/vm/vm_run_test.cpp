// `tcplab vm run` against the real User-Mode Linux kernel: exit codes, streaming, --rw, timeout
// and leftovers. Needs /usr/bin/linux.uml, not root (UML is an ordinary process); skips without it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/errors.hpp"
#include "netem/vm/uml_vm.hpp"
#include "vm_test_support.hpp"

namespace tcplab::vmtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class VmRun : public ::testing::Test {
protected:
    void SetUp() override {
        if (const auto reason = uml_unavailable_reason(); !reason.empty()) {
            GTEST_SKIP() << reason;
        }
    }
};

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST_F(VmRun, TrueExitsZero) {
    const ProcessRun run = run_tcplab({"vm", "run", "--", "true"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "");
    RecordProperty("boot_to_poweroff_ms", static_cast<int>(run.elapsed.count()));
    std::cout << "vm run -- true: " << run.elapsed.count() << " ms boot to poweroff\n";
}

TEST_F(VmRun, PassesTheCommandsExitCodeAndSeparatesStdoutFromStderr) {
    const ProcessRun run =
        run_tcplab({"vm", "run", "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7"});
    EXPECT_EQ(run.exit_code, 7) << run.err;
    EXPECT_EQ(run.out, "to-stdout\n");  // no "\r\n" from the guest tty, no kernel messages
    EXPECT_THAT(run.err, HasSubstr("to-stderr\n"));
    EXPECT_THAT(run.out, ::testing::Not(HasSubstr("to-stderr")));
}

TEST_F(VmRun, ArgumentsReachTheGuestUnchangedAndTheGuestIsRoot) {
    const ProcessRun run =
        run_tcplab({"vm", "run", "--env", "GREETING=it's a \"test\"", "--", "sh", "-c",
                    "printf '%s|' \"$0\" \"$1\" \"$GREETING\" \"$(id -u)\" "
                    "\"$TCPLAB_IN_VM\"",
                    "a b", "$HOME;`x`"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "a b|$HOME;`x`|it's a \"test\"|0|1|");
}

TEST_F(VmRun, RwDirectoryIsWritableAndOtherHostPathsAreNot) {
    const ScratchDir writable;
    const ScratchDir read_only;
    const ProcessRun run =
        run_tcplab({"vm", "run", "--rw", writable.path().string(), "--", "sh", "-c",
                    "echo written-in-guest > \"$0/from-guest.txt\" && "
                    "if touch \"$1/must-not-exist\" 2>/dev/null; then exit 9; fi",
                    writable.path().string(), read_only.path().string()});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(read_text(writable.path() / "from-guest.txt"), "written-in-guest\n");
    EXPECT_FALSE(fs::exists(read_only.path() / "must-not-exist"));
}

// The guest's /tmp is a fresh tmpfs: a program below it (a build in a /tmp clone) is shared
// read-only by run_in_vm itself, no --rw needed, and the guest cannot write next to it.
TEST_F(VmRun, ProgramBelowTmpRunsFromAReadOnlyShare) {
    const ScratchDir dir;
    const fs::path script = dir.path() / "prog.sh";
    {
        std::ofstream out(script);
        out << "#!/bin/sh\nif touch \"$(dirname \"$0\")/from-guest\" 2>/dev/null; then echo "
               "writable; else echo read-only; fi\n";
    }
    fs::permissions(script, fs::perms::owner_all);
    const ProcessRun run = run_tcplab({"vm", "run", "--", script.string()});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "read-only\n") << run.err;
    EXPECT_FALSE(fs::exists(dir.path() / "from-guest"));
}

TEST_F(VmRun, MissingCommandIsAUsageError) {
    const ProcessRun run = run_tcplab({"vm", "run", "--timeout", "5"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_THAT(run.err, HasSubstr("after --"));
}

TEST_F(VmRun, MissingRwDirectoryIsAUsageErrorNamingIt) {
    const ProcessRun run =
        run_tcplab({"vm", "run", "--rw", "/nonexistent/tcplab-dir", "--", "true"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_THAT(run.err, HasSubstr("/nonexistent/tcplab-dir"));
}

TEST(VmRunWithoutUml, MissingUmlIsAnEnvironmentError) {
    const ProcessRun run =
        run_tcplab({"vm", "run", "--uml", "/nonexistent/linux.uml", "--", "true"});
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_THAT(run.err, HasSubstr("user-mode-linux"));
    EXPECT_THAT(run.err, HasSubstr("/nonexistent/linux.uml"));
}

// A guest that cannot come up (far too little memory) is an environment error that quotes the
// console, not a hang and not a made-up exit code.
TEST_F(VmRun, BootFailureIsAnEnvironmentErrorQuotingTheConsole) {
    const ProcessRun run =
        run_tcplab({"vm", "run", "--mem", "2M", "--timeout", "300", "--", "true"});
    EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
    EXPECT_THAT(run.err, HasSubstr("UML guest"));
    EXPECT_THAT(run.err, HasSubstr("console"));
}

// A failing set-up step inside the guest is named in the error.
TEST_F(VmRun, GuestSetupFailureNamesTheStep) {
    netem::VmOptions options;
    options.command = {"true"};
    options.modules = {"sch_netem", "tcplab_no_such_module"};
    try {
        netem::run_in_vm(options, {});
        ADD_FAILURE() << "no error for a missing module";
    } catch (const EnvironmentError& e) {
        EXPECT_THAT(e.what(), HasSubstr("set-up failed: modprobe sch_netem tcplab_no_such_module"));
    }
}

TEST_F(VmRun, OutputIsStreamedWhileTheCommandRuns) {
    netem::VmOptions options;
    options.command = {"sh", "-c", "echo first; sleep 4; echo second"};
    options.timeout = std::chrono::seconds(300);
    std::string out;
    std::chrono::steady_clock::time_point first_at;
    std::chrono::steady_clock::time_point second_at;
    const auto result = netem::run_in_vm(options, [&](netem::VmStream stream, std::string_view s) {
        if (stream != netem::VmStream::command_stdout) {
            return;
        }
        out += s;
        const auto now = std::chrono::steady_clock::now();
        if (out.find("first") != std::string::npos && first_at == decltype(first_at){}) {
            first_at = now;
        }
        if (out.find("second") != std::string::npos && second_at == decltype(second_at){}) {
            second_at = now;
        }
    });
    ASSERT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(out, "first\nsecond\n");
    // "first" reached us while the guest still slept, not at poweroff.
    EXPECT_GE(std::chrono::duration_cast<std::chrono::milliseconds>(second_at - first_at).count(),
              3000);
}

TEST_F(VmRun, LargeOutputArrivesComplete) {
    const ProcessRun run = run_tcplab(
        {"vm", "run", "--", "sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo end"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out.size(), 1000000U + 1U + 4U);
    EXPECT_EQ(run.out.substr(run.out.size() - 4), "end\n");
}

// A hung guest is killed at the deadline and nothing of it survives: no UML process (kernel or
// helper), no process group, no control directory.
TEST_F(VmRun, TimeoutKillsTheGuestAndLeavesNothingBehind) {
    netem::VmOptions options;
    options.command = {"sh", "-c", "echo sleeping; exec sleep 1000"};
    // 10 s: the guest boots in ~2 s on an idle host, so the deadline usually hits the command;
    // under heavy load it may hit the boot instead, which must clean up just the same.
    options.timeout = std::chrono::seconds(10);
    bool saw_sleeping = false;
    const auto result = netem::run_in_vm(options, [&](netem::VmStream stream, std::string_view s) {
        saw_sleeping = saw_sleeping ||
                       (stream == netem::VmStream::command_stdout && s.find("sleeping") != s.npos);
    });
    EXPECT_TRUE(result.timed_out);
    EXPECT_EQ(result.exit_code, -1);
    EXPECT_GE(result.elapsed.count(), 10'000);
    EXPECT_LT(result.elapsed.count(), 15'000);  // bounded: killed at the deadline, not later
    std::cout << "guest reached the command before the deadline: " << saw_sleeping << "\n";
    EXPECT_TRUE(processes_of_vm(result.vm_id).empty());
    EXPECT_EQ(::kill(-result.uml_pid, 0), -1);
    EXPECT_EQ(errno, ESRCH);
    EXPECT_FALSE(fs::exists(fs::path("/tmp") / result.vm_id));
}

TEST_F(VmRun, NormalRunLeavesNothingBehind) {
    netem::VmOptions options;
    options.command = {"true"};
    const auto result = netem::run_in_vm(options, {});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_TRUE(processes_of_vm(result.vm_id).empty());
    EXPECT_EQ(::kill(-result.uml_pid, 0), -1);
    EXPECT_FALSE(fs::exists(fs::path("/tmp") / result.vm_id));
}

// The caller dies by SIGKILL mid-run (no destructor runs): the watchdog must still kill UML and
// remove the control directory.
TEST_F(VmRun, WatchdogCleansUpWhenTheCallerIsKilled) {
    const ScratchDir scratch;
    const fs::path marker = scratch.path() / "in-guest";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        netem::VmOptions options;
        options.rw_dirs = {scratch.path()};
        options.command = {"sh", "-c", "touch \"$0\"; exec sleep 1000", marker.string()};
        try {
            netem::run_in_vm(options, {});
        } catch (...) {
        }
        ::_exit(0);
    }
    // Wait (bounded) until the guest is really running the command.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(240);
    while (!fs::exists(marker) && std::chrono::steady_clock::now() < give_up) {
        ::usleep(200'000);
    }
    const bool started = fs::exists(marker);
    // Our run's control directory: the one whose UML kernel process is the child's child.
    std::string vm_id;
    for (const auto& entry : fs::directory_iterator("/tmp")) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("tcplab-vm-", 0) != 0) {
            continue;
        }
        for (const int pid : processes_of_vm(name)) {
            if (parent_pid(pid) == child) {
                vm_id = name;
            }
        }
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ASSERT_TRUE(started) << "the guest never ran the command";
    ASSERT_FALSE(vm_id.empty()) << "did not find the run's UML processes";
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((!processes_of_vm(vm_id).empty() || fs::exists(fs::path("/tmp") / vm_id)) &&
           std::chrono::steady_clock::now() < limit) {
        ::usleep(100'000);
    }
    EXPECT_TRUE(processes_of_vm(vm_id).empty());
    EXPECT_FALSE(fs::exists(fs::path("/tmp") / vm_id));
}

}  // namespace
}  // namespace tcplab::vmtest
