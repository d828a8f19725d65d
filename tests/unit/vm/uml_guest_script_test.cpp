// The guest init script and the option checks of netem/uml_vm, without booting anything.
// shell_quote is checked against the real /bin/sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/errors.hpp"
#include "netem/vm/detail/guest_script.hpp"
#include "netem/vm/uml_vm.hpp"
#include "support/scratch_dir.hpp"

namespace tcplab::netem {
namespace {

namespace fs = std::filesystem;
using test_support::ScratchDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// What /bin/sh prints for `printf %s <quoted>`.
std::string sh_echo(const std::string& quoted) {
    const std::string command = "printf %s " + quoted;
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string out;
    char buffer[256];
    while (pipe != nullptr) {
        const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe);
        if (n == 0) {
            break;
        }
        out.append(buffer, n);
    }
    if (pipe != nullptr) {
        ::pclose(pipe);
    }
    return out;
}

class ShellQuote : public ::testing::TestWithParam<const char*> {};

TEST_P(ShellQuote, ShellReadsBackTheSameWord) {
    EXPECT_EQ(sh_echo(shell_quote(GetParam())), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Words, ShellQuote,
                         ::testing::Values("plain", "two words", "it's", "''", "$HOME", "`id`",
                                           "a\"b", "semi;colon", "back\\slash", "new\nline", "*",
                                           "-n"));

GuestPlan sample_plan() {
    GuestPlan plan;
    plan.control_dir = "/tmp/tcplab-vm-abc123";
    plan.module_dir = "/usr/lib/uml/modules";
    plan.modules = {"sch_netem", "veth"};
    plan.rw_dirs = {"/work/out/nested", "/work/out"};
    plan.command = {"sh", "-c", "echo 'hi'"};
    plan.env = {{"SEED", "42"}};
    plan.working_dir = "/work";
    return plan;
}

TEST(GuestInitScript, MountsControlDirAndRwDirsParentsFirst) {
    const std::string script = guest_init_script(sample_plan());
    EXPECT_THAT(script, HasSubstr("mount -t hostfs none '/run/tcplab' -o '/tmp/tcplab-vm-abc123'"));
    const auto parent = script.find("mount -t hostfs none '/work/out' -o '/work/out'");
    const auto child = script.find("mount -t hostfs none '/work/out/nested' -o '/work/out/nested'");
    ASSERT_NE(parent, std::string::npos);
    ASSERT_NE(child, std::string::npos);
    EXPECT_LT(parent, child);
    // tmpfs on /tmp comes after the control dir is mounted (it lives under /tmp on the host).
    EXPECT_LT(script.find("'/run/tcplab' -o"), script.find("for d in /tmp /var/tmp"));
}

TEST(GuestInitScript, RunsTheCommandOnTheTtysAndReportsItsStatus) {
    const std::string script = guest_init_script(sample_plan());
    EXPECT_THAT(script, HasSubstr("exec 'sh' '-c' 'echo '\\''hi'\\''' < /dev/null > /dev/tty1 "
                                  "2> /dev/tty2"));
    EXPECT_THAT(script, HasSubstr("export SEED='42'"));
    EXPECT_THAT(script, HasSubstr("cd '/work' 2>/dev/null || cd /"));
    EXPECT_THAT(script, HasSubstr("echo $? > '/run/tcplab/status'"));
    EXPECT_THAT(script, HasSubstr("modprobe -d '/run/tcplab-modroot' -a 'sch_netem' 'veth'"));
    EXPECT_THAT(script, HasSubstr("echo o > /proc/sysrq-trigger"));
}

TEST(GuestInitScript, IsValidShell) {
    const fs::path path = fs::temp_directory_path() / "tcplab-unit-guest-init.sh";
    {
        std::ofstream out(path);
        out << guest_init_script(sample_plan());
    }
    const std::string command = "sh -n " + path.string();
    EXPECT_EQ(std::system(command.c_str()), 0);
    fs::remove(path);
}

TEST(GuestModprobeScript, UsesTheUmlModuleRoot) {
    EXPECT_THAT(guest_modprobe_script(),
                HasSubstr("exec /sbin/modprobe -d /run/tcplab-modroot \"$@\""));
}

VmOptions valid_options() {
    VmOptions options;
    options.command = {"true"};
    options.uml_binary = "/bin/true";  // exists and is executable: enough for validation
    options.module_dir = "/";
    return options;
}

TEST(ValidateVmOptions, AcceptsAValidSet) { EXPECT_NO_THROW(validate_vm_options(valid_options())); }

TEST(ValidateVmOptions, RejectsBadUsage) {
    auto options = valid_options();
    options.command.clear();
    EXPECT_THROW(validate_vm_options(options), UsageError);

    options = valid_options();
    options.memory = "lots";
    EXPECT_THROW(validate_vm_options(options), UsageError);

    options = valid_options();
    options.timeout = std::chrono::seconds(0);
    EXPECT_THROW(validate_vm_options(options), UsageError);

    options = valid_options();
    options.env = {{"BAD NAME", "x"}};
    EXPECT_THROW(validate_vm_options(options), UsageError);

    options = valid_options();
    options.rw_dirs = {"/nonexistent/tcplab"};
    try {
        validate_vm_options(options);
        ADD_FAILURE() << "no error for a missing --rw directory";
    } catch (const UsageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("/nonexistent/tcplab"));
    }

    options = valid_options();
    options.rw_dirs = {"/"};
    EXPECT_THROW(validate_vm_options(options), UsageError);
}

TEST(ValidateVmOptions, RejectsCommaInRwDir) {
    const fs::path dir = fs::temp_directory_path() / "tcplab,unit";
    fs::create_directories(dir);
    auto options = valid_options();
    options.rw_dirs = {dir};
    EXPECT_THROW(validate_vm_options(options), UsageError);
    fs::remove(dir);
}

TEST(ValidateVmOptions, MissingUmlIsAnEnvironmentError) {
    auto options = valid_options();
    options.uml_binary = "/nonexistent/linux.uml";
    try {
        validate_vm_options(options);
        ADD_FAILURE() << "no error for a missing UML binary";
    } catch (const EnvironmentError& e) {
        EXPECT_THAT(e.what(), HasSubstr("user-mode-linux"));
    }
}

TEST(VisibleInGuest, TmpfsShadowedPathsNeedRw) {
    EXPECT_TRUE(visible_in_guest("/usr/bin/tc", {}));
    EXPECT_TRUE(visible_in_guest("/work/main/build/app/tcplab", {}));
    EXPECT_FALSE(visible_in_guest("/tmp/build/app/tcplab", {}));
    EXPECT_FALSE(visible_in_guest("/root/x", {}));
    EXPECT_FALSE(visible_in_guest("/run/netns/a", {}));
    EXPECT_TRUE(visible_in_guest("/tmp/build/app/tcplab", {"/tmp/build"}));
    EXPECT_FALSE(visible_in_guest("/tmp/buildx/tcplab", {"/tmp/build"}));
    EXPECT_TRUE(visible_in_guest("/tmpfoo/x", {}));  // a sibling of /tmp, not below it
}

TEST(ValidateVmOptions, AcceptsAProgramBelowAGuestTmpfs) {
    // run_in_vm shares its directory read-only (a checkout under /tmp or /root).
    auto options = valid_options();
    options.command = {"/tmp/somewhere/tcplab"};
    EXPECT_NO_THROW(validate_vm_options(options));
}

TEST(ValidateVmOptions, MessagesNameNoFlagOfOneCommand) {
    // `scenario run --vm` shares directories too and has no --rw: the library names none.
    auto options = valid_options();
    options.ro_dirs = {"/nonexistent/tcplab"};
    try {
        validate_vm_options(options);
        ADD_FAILURE() << "no error for a missing shared directory";
    } catch (const UsageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("shared directory /nonexistent/tcplab"));
        EXPECT_THAT(e.what(), Not(HasSubstr("--")));
    }
    options = valid_options();
    options.working_dir = "/root/elsewhere";
    try {
        validate_vm_options(options);
        ADD_FAILURE() << "no error for a hidden working directory";
    } catch (const UsageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("/root/elsewhere"));
        EXPECT_THAT(e.what(), Not(HasSubstr("--")));
    }
}

TEST(ValidateVmOptions, RejectsCommaInReadOnlyDir) {
    const fs::path dir = fs::temp_directory_path() / "tcplab,unit-ro";
    fs::create_directories(dir);
    auto options = valid_options();
    options.ro_dirs = {dir};
    EXPECT_THROW(validate_vm_options(options), UsageError);
    fs::remove(dir);
}

TEST(DirsToShare, OnlyWhatTheGuestHidesEachOnce) {
    const ScratchDir scratch(
        "dirs-to-share");  // a real directory, so "is it a directory" has an answer
    const fs::path root = scratch.path();
    fs::create_directories(root / "build/app");
    fs::create_directories(root / "scenarios");
    EXPECT_THAT(dirs_to_share({"/usr/bin/tc", "/work/main/build/app/tcplab"}, {}), IsEmpty());
    // A file gives its directory, a directory itself; a nested one is shown by its parent.
    EXPECT_THAT(dirs_to_share({root / "build/app/tcplab", root / "scenarios/loss10.ini",
                               root / "scenarios", root / "build/app/../app/tcplab"},
                              {}),
                ElementsAre(root / "build/app", root / "scenarios"));
    EXPECT_THAT(dirs_to_share({root / "scenarios/x.ini", root}, {}), ElementsAre(root));
    // Already shared (an --out directory mounted writable): nothing more.
    EXPECT_THAT(dirs_to_share({root / "build/app/tcplab"}, {root}), IsEmpty());
    EXPECT_THAT(dirs_to_share({"/root/x/build/app/tcplab"}, {}),
                ElementsAre(fs::path("/root/x/build/app")));
}

TEST(GuestInitScript, MountsReadOnlyDirsReadOnlyInPathOrder) {
    GuestPlan plan = sample_plan();
    plan.ro_dirs = {"/tmp/x/build/app", "/tmp/x"};
    plan.rw_dirs = {"/tmp/x/out"};
    const std::string script = guest_init_script(plan);
    const auto outer = script.find("mount -t hostfs none '/tmp/x' -o 'ro,/tmp/x'");
    const auto inner =
        script.find("mount -t hostfs none '/tmp/x/build/app' -o 'ro,/tmp/x/build/app'");
    const auto rw = script.find("mount -t hostfs none '/tmp/x/out' -o '/tmp/x/out'");
    ASSERT_NE(outer, std::string::npos) << script;
    ASSERT_NE(inner, std::string::npos) << script;
    ASSERT_NE(rw, std::string::npos) << script;
    EXPECT_LT(outer, inner);
    EXPECT_LT(outer, rw);
    // After the tmpfs on /tmp, or the tmpfs would hide them again.
    EXPECT_LT(script.find("for d in /tmp /var/tmp"), outer);
}

TEST(SelfCommand, StartsWithThisProgramsHostPath) {
    const auto argv = self_command({"scenario", "run", "loss10"});
    ASSERT_EQ(argv.size(), 4U);
    EXPECT_EQ(fs::path(argv[0]), fs::read_symlink("/proc/self/exe"));
    EXPECT_EQ(argv[3], "loss10");
}

}  // namespace
}  // namespace tcplab::netem
