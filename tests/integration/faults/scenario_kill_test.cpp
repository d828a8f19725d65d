// Harness faults (issue 10 item 5): the real `tcplab scenario run loss10` is SIGKILLed at a
// seeded random moment inside one phase (set-up, impairment, capture start, traffic, capture
// drain, teardown, analysis). Then:
//   - `tcplab net status` lists the killed run as stale (when its state file exists);
//   - the killed run's output directory has no report.json (unless the kill landed after the
//     report was written: then every output is there and whole), and a capture cut short is only
//     a *.pcap.part file (a *.pcap there means the capture had been drained before the kill);
//   - a new `tcplab scenario run loss10` removes the leftovers by itself and passes;
//   - afterwards none of the killed run's namespaces (by nsfs inode and by name), state file,
//     or child processes (ip, ethtool, nft, tcpdump, UML, ...) remain.
// One kill point per test case. Seed: $TCPLAB_FAULT_SEED or 20261126 (printed on failure).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/command.hpp"
#include "netem/lab/run_state.hpp"
#include "netem/lab/topology_names.hpp"
#include "tests/support/report_text.hpp"

using namespace tcplab::netem;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t fault_seed() {
    const char* env = std::getenv("TCPLAB_FAULT_SEED");
    return env != nullptr && *env != '\0' ? std::strtoull(env, nullptr, 10) : 20261126ULL;
}

// Where to kill: when the run's state file lists at least `objects` objects, or when a progress
// line containing `marker` appears; then after a random delay in [lo_ms, hi_ms]. `hold`: the run
// pauses for a second after the marker line (TCPLAB_HOLD_AFTER_PROGRESS, app/cmd_scenario.cpp),
// for a phase too short to hit from outside on a busy machine.
struct KillPoint {
    const char* name;
    std::size_t objects;  // 0 = use the marker
    const char* marker;
    int lo_ms;
    int hi_ms;
    bool hold = false;
};

const KillPoint kKillPoints[] = {
    {"setup_first_namespace", 1, "", 0, 0},  // recorded, `ip netns add` under way
    {"setup_veths", 4, "", 0, 5},
    // Forwarder start, impairment, capture handles opening (~0.4 s after the topology is up).
    {"impairment_and_capture_start", 0, "topology tl", 0, 350},
    {"traffic_kernel_bulk", 0, "traffic 1/", 10, 90},
    {"traffic_tls", 0, "traffic 2/", 0, 600},
    {"capture_drain", 0, "greeting received", 0, 250},  // the 300 ms wait, then capture stop
    {"teardown", 0, "captures stopped", 0, 15},
    // Analysis of both captures and the report writing take ~12 ms on an idle machine: missed
    // under load, so the run holds there.
    {"analysis", 0, "topology removed", 0, 100, true},
};

struct Spawned {
    pid_t pid = -1;
    int err_fd = -1;
};

Spawned spawn_tcplab(const std::vector<std::string>& args, bool capture_stderr,
                     const char* hold_after = nullptr) {
    int fds[2] = {-1, -1};
    if (capture_stderr && ::pipe2(fds, O_CLOEXEC) != 0) return {};
    // The child's environment is built before fork(): only async-signal-safe calls after it.
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
    if (hold_after != nullptr) {
        env_text.push_back(std::string("TCPLAB_HOLD_AFTER_PROGRESS=") + hold_after);
    }
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(TCPLAB_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_RDWR);
        ::dup2(devnull, STDIN_FILENO);
        ::dup2(devnull, STDOUT_FILENO);
        ::dup2(capture_stderr ? fds[1] : devnull, STDERR_FILENO);
        ::execve(TCPLAB_BINARY, argv.data(), envp.data());
        ::_exit(127);
    }
    if (capture_stderr) ::close(fds[1]);
    return {pid, capture_stderr ? fds[0] : -1};
}

std::optional<RunRecord> run_of_pid(pid_t pid) {
    for (auto& r : list_runs(default_state_dir())) {
        if (r.pid == pid) return r;
    }
    return std::nullopt;
}

std::map<pid_t, pid_t> parent_map() {
    std::map<pid_t, pid_t> parents;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(e.path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        int ppid = 0;
        if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2) {
            parents[static_cast<pid_t>(std::stoi(name))] = ppid;
        }
    }
    return parents;
}

// Every descendant of `root` (pid -> start ticks), so a reused pid is not mistaken for one.
std::map<pid_t, std::uint64_t> descendants(pid_t root) {
    const auto parents = parent_map();
    std::set<pid_t> found{root};
    bool grew = true;
    while (grew) {
        grew = false;
        for (const auto& [pid, ppid] : parents) {
            if (found.count(ppid) != 0U && found.insert(pid).second) grew = true;
        }
    }
    found.erase(root);
    std::map<pid_t, std::uint64_t> out;
    for (pid_t p : found) {
        if (const auto t = process_start_ticks(p)) out[p] = *t;
    }
    return out;
}

std::optional<std::uint64_t> netns_inode(const std::string& name) {
    struct stat st {};
    if (::stat(("/run/netns/" + name).c_str(), &st) != 0) return std::nullopt;
    return st.st_ino;
}

// Clock ticks since boot now (the unit of /proc/<pid>/stat starttime).
std::uint64_t ticks_now() {
    double uptime = 0;
    std::ifstream("/proc/uptime") >> uptime;
    return static_cast<std::uint64_t>(uptime * static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

// Network namespace inodes that threads of processes started before `before_ticks` are in.
// (Inode numbers are recycled, so a namespace made after the kill may carry an old number.)
std::set<std::uint64_t> netns_inodes_of_old_threads(std::uint64_t before_ticks) {
    std::set<std::uint64_t> out;
    std::error_code ec;
    for (const auto& p : fs::directory_iterator("/proc", ec)) {
        const std::string pid = p.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto started = process_start_ticks(static_cast<pid_t>(std::stol(pid)));
        if (!started || *started > before_ticks) continue;
        std::error_code tec;
        for (const auto& t : fs::directory_iterator(p.path() / "task", tec)) {
            struct stat st {};
            if (::stat((t.path() / "ns" / "net").c_str(), &st) == 0) out.insert(st.st_ino);
        }
    }
    return out;
}

struct KillResult {
    bool killed_while_running = false;
    double kill_at_s = 0;
    std::string last_progress;
    std::optional<RunRecord> record;                  // the killed run's state file as last seen
    std::map<std::string, std::uint64_t> namespaces;  // name -> nsfs inode at the kill
    std::map<pid_t, std::uint64_t> children;          // descendants at the kill
    std::uint64_t kill_ticks = 0;
};

KillResult run_and_kill(const KillPoint& point, const fs::path& out, std::mt19937_64& rng) {
    KillResult result;
    const auto start = Clock::now();
    const Spawned child =
        spawn_tcplab({"scenario", "run", "loss10", "--out", out.string()}, /*capture_stderr=*/true,
                     point.hold ? point.marker : nullptr);
    if (child.pid <= 0) return result;
    const int delay_ms = std::uniform_int_distribution<int>(point.lo_ms, point.hi_ms)(rng);
    std::optional<Clock::time_point> kill_at;
    std::string pending;
    bool eof = false;
    const auto deadline = start + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
        if (::waitpid(child.pid, nullptr, WNOHANG) == child.pid) {
            ::close(child.err_fd);
            return result;  // finished before the kill point: a miss, reported by the caller
        }
        if (const auto r = run_of_pid(child.pid)) {
            result.record = r;
            if (!kill_at && point.objects != 0 && r->objects.size() >= point.objects) {
                kill_at = Clock::now() + std::chrono::milliseconds(delay_ms);
            }
        }
        pollfd pfd{child.err_fd, POLLIN, 0};
        if (!eof && ::poll(&pfd, 1, 1) > 0) {
            std::array<char, 4096> buf{};
            const ssize_t n = ::read(child.err_fd, buf.data(), buf.size());
            eof = n <= 0;
            pending.append(buf.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
            std::size_t nl = 0;
            while ((nl = pending.find('\n')) != std::string::npos) {
                const std::string line = pending.substr(0, nl);
                pending.erase(0, nl + 1);
                result.last_progress = line;
                if (!kill_at && point.objects == 0 &&
                    line.find(point.marker) != std::string::npos) {
                    kill_at = Clock::now() + std::chrono::milliseconds(delay_ms);
                }
            }
        } else if (eof) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (kill_at && Clock::now() >= *kill_at) {
            result.children = descendants(child.pid);
            if (result.record) {
                for (Role role : kAllRoles) {
                    const auto name = namespace_name(result.record->run_id, role);
                    if (const auto ino = netns_inode(name)) result.namespaces[name] = *ino;
                }
            }
            result.kill_ticks = ticks_now() + 1;
            result.killed_while_running = ::kill(child.pid, SIGKILL) == 0;
            result.kill_at_s = std::chrono::duration<double>(Clock::now() - start).count();
            break;
        }
    }
    if (!result.killed_while_running) ::kill(child.pid, SIGKILL);  // 60 s bound
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    result.killed_while_running =
        result.killed_while_running && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    ::close(child.err_fd);
    if (const auto r = run_of_pid(child.pid)) result.record = r;  // the last word
    return result;
}

tcplab::CommandResult run_to_end(const std::vector<std::string>& args) {
    tcplab::SystemRunner runner(std::chrono::seconds(120));
    std::vector<std::string> argv{TCPLAB_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return runner.run(argv, false);
}

class ScenarioKill : public ::testing::TestWithParam<std::size_t> {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (scenario run creates namespaces)";
        if (!fs::exists(TCPLAB_BINARY)) GTEST_SKIP() << "tcplab not built: " << TCPLAB_BINARY;
        base_ = fs::temp_directory_path() /
                ("tcplab-kill-" + std::to_string(::getpid()) + "-" + std::to_string(GetParam()));
        fs::remove_all(base_);
        fs::create_directories(base_);
    }
    void TearDown() override {
        if (!base_.empty()) fs::remove_all(base_);
    }
    fs::path base_;
};

}  // namespace

TEST_P(ScenarioKill, LeftoversAreReportedCleanedByTheNextRunAndNothingLooksComplete) {
    const KillPoint& point = kKillPoints[GetParam()];
    const std::uint64_t seed = fault_seed() + GetParam();
    std::mt19937_64 rng(seed);
    SCOPED_TRACE(std::string("kill point ") + point.name + ", seed " + std::to_string(seed));
    const fs::path killed_out = base_ / "killed";

    const KillResult kill = run_and_kill(point, killed_out, rng);
    ASSERT_TRUE(kill.killed_while_running)
        << "the run ended before the kill point; last progress: " << kill.last_progress;
    RecordProperty("kill_at_s", std::to_string(kill.kill_at_s));
    std::printf(
        "[ kill     ] %s at %.3f s after start (last progress: %s); run %s, %zu objects, "
        "%zu child processes\n",
        point.name, kill.kill_at_s, kill.last_progress.c_str(),
        kill.record ? std::to_string(kill.record->run_id).c_str() : "-",
        kill.record ? kill.record->objects.size() : 0U, kill.children.size());

    // Nothing in the killed run's directory claims success, and a cut capture is a .part file.
    // report.json is written last (tmp + rename), so it may exist only when the run had finished
    // its report before the kill landed: the "analysis" window (~12 ms) can end before a kill a
    // few ms into it. Then it must stand for a complete run.
    if (fs::exists(killed_out / "report.json")) {
        std::printf("[ kill     ] landed after the report was complete: checking it is whole\n");
        EXPECT_STREQ(point.name, "analysis") << "report.json before the analysis phase";
        std::ifstream in(killed_out / "report.json");
        const auto report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
        ASSERT_FALSE(report.is_discarded()) << "report.json is not whole JSON";
        EXPECT_TRUE(report.contains("pass") && report.contains("checks"))
            << report.dump().substr(0, 300);
        for (const char* file : {"report.txt", "analysis.json", "client.pcap", "server.pcap"}) {
            EXPECT_TRUE(fs::exists(killed_out / file)) << file << " missing next to report.json";
        }
    }
    for (const char* pcap : {"client.pcap", "server.pcap"}) {
        if (fs::exists(killed_out / pcap)) {
            // Renamed from .part only after the drain: the kill came after "captures stopped".
            const auto analyzed = run_to_end({"analyze", (killed_out / pcap).string()});
            EXPECT_EQ(analyzed.exit_code, 0) << analyzed.err;
            EXPECT_FALSE(fs::exists(killed_out / (std::string(pcap) + ".part")));
        }
    }

    // `net status` names the stale run (its owner is dead) and what --stale removes.
    const bool has_state =
        kill.record && fs::exists(run_file(default_state_dir(), kill.record->run_id));
    if (has_state) {
        const auto status = run_to_end({"net", "status", "--format", "json"});
        ASSERT_EQ(status.exit_code, 0) << status.err;
        const auto doc = nlohmann::json::parse(status.out);
        bool listed = false;
        for (const auto& r : doc.at("stale")) {
            if (r.at("run_id") == kill.record->run_id && r.at("pid") == kill.record->pid) {
                listed = true;
                EXPECT_EQ(r.at("down_stale_removes").size(), r.at("objects").size());
            }
        }
        EXPECT_TRUE(listed) << status.out;
        for (const auto& r : doc.at("live")) EXPECT_NE(r.at("pid"), kill.record->pid);
        const auto text = run_to_end({"net", "status"}).out;
        EXPECT_NE(text.find("run " + std::to_string(kill.record->run_id) + "  stale"),
                  std::string::npos)
            << text;
    }

    // A new run cleans up by itself and passes.
    const auto t0 = Clock::now();
    const auto next =
        run_to_end({"scenario", "run", "loss10", "--out", (base_ / "next").string(), "--quiet"});
    const double next_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("[ next run ] exit %d in %.1f s\n", next.exit_code, next_s);
    EXPECT_EQ(next.exit_code, 0) << tcplab::test_support::failing_checks(base_ / "next" /
                                                                         "report.txt")
                                 << next.err;
    EXPECT_TRUE(fs::exists(base_ / "next" / "report.json"));

    // Nothing of the killed run remains: its namespaces (not held by any thread that existed at
    // the kill, and its names only on a live run that claimed the id since), its state file,
    // its child processes.
    const auto inodes = netns_inodes_of_old_threads(kill.kill_ticks);
    for (const auto& [name, ino] : kill.namespaces) {
        EXPECT_EQ(inodes.count(ino), 0U) << name << " (inode " << ino << ") still entered";
    }
    if (kill.record) {
        const int id = kill.record->run_id;
        const auto now = read_run(default_state_dir(), id);
        EXPECT_TRUE(!now || now->pid != kill.record->pid) << "state file of the killed run remains";
        for (Role role : kAllRoles) {
            // The name may exist again only for a live run that claimed the id since.
            if (netns_inode(namespace_name(id, role))) {
                EXPECT_TRUE(now && run_status(*now) != RunStatus::stale)
                    << namespace_name(id, role) << " left without a live owner";
            }
        }
    }
    for (const auto& [pid, ticks] : kill.children) {
        if (process_start_ticks(pid) == std::optional<std::uint64_t>(ticks)) {
            std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
            std::string argv((std::istreambuf_iterator<char>(cmdline)),
                             std::istreambuf_iterator<char>());
            std::replace(argv.begin(), argv.end(), '\0', ' ');
            ADD_FAILURE() << "child process " << pid
                          << " of the killed run is still alive: " << argv;
        }
    }
    const auto links = tcplab::SystemRunner().run({"ip", "-o", "link", "show"}).out;
    for (const char* dev : {"veth-c", "veth-s", "veth-rc", "veth-rs"}) {
        EXPECT_EQ(links.find(std::string(dev) + "@"), std::string::npos)
            << dev << " in the root namespace";
    }
}

INSTANTIATE_TEST_SUITE_P(Phases, ScenarioKill,
                         ::testing::Range<std::size_t>(0, std::size(kKillPoints)),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                             return std::string(kKillPoints[info.param].name);
                         });
