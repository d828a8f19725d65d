#include "child_pool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <list>
#include <stdexcept>
#include <thread>

#include "tests/support/files.hpp"

extern char** environ;

namespace tcplab::hostile {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {}  // namespace

Child::Child(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    }
}

Child::~Child() {
    if (pid_ > 0) {
        int status = 0;
        kill_and_reap(status);
    }
}

bool Child::poll(int& status) {
    if (pid_ <= 0) return true;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return false;
    pid_ = -1;
    return true;
}

void Child::kill_and_reap(int& status) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

std::vector<ChildResult> run_bounded(const std::vector<std::vector<std::string>>& commands,
                                     std::chrono::milliseconds bound, const fs::path& scratch,
                                     unsigned parallel) {
    struct Running {
        Running(std::size_t i, const std::vector<std::string>& argv, const fs::path& out,
                const fs::path& err)
            : index(i), child(argv, out, err), started(Clock::now()) {}
        std::size_t index;
        Child child;
        Clock::time_point started;
    };
    std::vector<ChildResult> results(commands.size());
    std::list<Running> running;  // a list: a Child is never moved once running
    std::size_t next = 0;
    const auto out_path = [&](std::size_t i) { return scratch / ("out-" + std::to_string(i)); };
    const auto err_path = [&](std::size_t i) { return scratch / ("err-" + std::to_string(i)); };
    const auto finish = [&](Running& r, int status, bool timed_out) {
        ChildResult& res = results[r.index];
        res.seconds = std::chrono::duration<double>(Clock::now() - r.started).count();
        res.timed_out = timed_out;
        if (!timed_out && WIFSIGNALED(status)) res.signal = WTERMSIG(status);
        if (!timed_out && WIFEXITED(status)) res.exit_code = WEXITSTATUS(status);
        res.out = test_support::read_file(out_path(r.index));
        res.err = test_support::read_file(err_path(r.index));
        fs::remove(out_path(r.index));
        fs::remove(err_path(r.index));
    };
    while (next < commands.size() || !running.empty()) {
        while (next < commands.size() && running.size() < parallel) {
            running.emplace_back(next, commands[next], out_path(next), err_path(next));
            ++next;
        }
        bool progressed = false;
        for (auto it = running.begin(); it != running.end();) {
            int status = 0;
            if (it->child.poll(status)) {
                finish(*it, status, false);
                it = running.erase(it);
                progressed = true;
            } else if (Clock::now() - it->started > bound) {
                it->child.kill_and_reap(status);
                finish(*it, status, true);
                it = running.erase(it);
                progressed = true;
            } else {
                ++it;
            }
        }
        if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return results;
}

std::string describe(const ChildResult& r) {
    if (r.timed_out) return "hang: killed after " + std::to_string(r.seconds) + " s";
    if (r.signal != 0) {
        return "crash: signal " + std::to_string(r.signal) + " (" + strsignal(r.signal) + ")";
    }
    return "exit " + std::to_string(r.exit_code);
}

}  // namespace tcplab::hostile
