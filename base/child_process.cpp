#include "base/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include "base/errors.hpp"
#include "base/unique_fd.hpp"

extern char** environ;

namespace tcplab {

namespace {

using Clock = std::chrono::steady_clock;

int status_code(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

UniqueFd open_or_throw(const std::string& path, int flags, const std::string& what) {
    UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
    if (!fd) {
        throw SystemError("cannot open " + what + " " + path + ": " + std::strerror(errno));
    }
    return fd;
}

// Our environment with the options' variables added or replaced, as "K=V" strings.
std::vector<std::string> environment(const ChildOptions& options) {
    std::map<std::string, std::string> vars;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string kv(*e);
        const auto eq = kv.find('=');
        if (eq != std::string::npos) {
            vars[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
    }
    for (const auto& [k, v] : options.env) {
        vars[k] = v;
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : vars) {
        out.push_back(k + "=" + v);
    }
    return out;
}

// Between fork and exec only async-signal-safe calls: everything was prepared before the fork.
[[noreturn]] void fail_in_child(const char* step) {
    const char* reason = std::strerror(errno);
    const char prefix[] = "tcplab: cannot start the command: ";
    (void)!::write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!::write(STDERR_FILENO, step, std::strlen(step));
    (void)!::write(STDERR_FILENO, ": ", 2);
    (void)!::write(STDERR_FILENO, reason, std::strlen(reason));
    (void)!::write(STDERR_FILENO, "\n", 1);
    ::_exit(127);
}

struct Prepared {
    UniqueFd stdin_fd, log_fd, netns_fd;
    std::vector<std::string> env;
    std::vector<char*> envp;
    std::string cwd;
};

[[noreturn]] void exec_child(const ChildOptions& options, Prepared& p, char* const argv[]) {
    ::setpgid(0, 0);  // its own group: stop() signals every process the command starts
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // tcplab blocks SIGINT/SIGTERM in its threads
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(p.stdin_fd.get(), STDIN_FILENO);
    ::dup2(p.log_fd.get(), STDOUT_FILENO);
    ::dup2(p.log_fd.get(), STDERR_FILENO);
    if (p.netns_fd && ::setns(p.netns_fd.get(), CLONE_NEWNET) != 0) {
        fail_in_child("setns");
    }
    if (options.gid && (::setgroups(0, nullptr) != 0 || ::setgid(*options.gid) != 0)) {
        fail_in_child("setgid");
    }
    if (options.uid && ::setuid(*options.uid) != 0) {
        fail_in_child("setuid");
    }
    if (!p.cwd.empty() && ::chdir(p.cwd.c_str()) != 0) {
        // Typically a parent directory closed to the dropped user (a run under /root): run from
        // "/" rather than not at all, and say so in the log.
        const char note[] =
            "tcplab: cannot enter the working directory as this user; running in /\n";
        (void)!::write(STDERR_FILENO, note, sizeof note - 1);
        if (::chdir("/") != 0) {
            fail_in_child("chdir /");
        }
    }
    ::execve(argv[0], argv, p.envp.data());
    fail_in_child("/bin/sh");
}

}  // namespace

ChildProcess::ChildProcess(const ChildOptions& options) {
    Prepared p;
    p.stdin_fd = open_or_throw("/dev/null", O_RDONLY, "input");
    p.log_fd = options.log.empty()
                   ? open_or_throw("/dev/null", O_WRONLY, "log")
                   : open_or_throw(options.log.string(), O_WRONLY | O_CREAT | O_APPEND, "log");
    if (!options.netns.empty()) {
        p.netns_fd =
            UniqueFd(::open(("/run/netns/" + options.netns).c_str(), O_RDONLY | O_CLOEXEC));
        if (!p.netns_fd) {
            throw EnvironmentError("network namespace " + options.netns + ": " +
                                   std::strerror(errno));
        }
    }
    p.env = environment(options);
    for (auto& kv : p.env) {
        p.envp.push_back(kv.data());
    }
    p.envp.push_back(nullptr);
    p.cwd = options.cwd.string();
    std::string sh = "/bin/sh", dash_c = "-c", command = options.command;
    char* const argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};
    pid_ = ::fork();
    if (pid_ < 0) {
        throw SystemError(std::string("fork: ") + std::strerror(errno));
    }
    if (pid_ == 0) {
        exec_child(options, p, argv);
    }
    ::setpgid(pid_, pid_);  // also here: signals sent before the child ran setpgid must reach it
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        stop(std::chrono::milliseconds(500));
    }
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!status_) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            status_ = status_code(status);
        } else if (r < 0 && errno != EINTR) {
            status_ = 255;  // not our child any more: nothing left to wait for
        } else if (Clock::now() >= deadline) {
            break;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    return status_;
}

bool ChildProcess::group_alive() const { return ::kill(-pid_, 0) == 0; }

int ChildProcess::stop(std::chrono::milliseconds grace) {
    if (group_alive()) {
        ::kill(-pid_, SIGTERM);
        const auto deadline = Clock::now() + grace;
        while (group_alive() && Clock::now() < deadline) {
            if (wait_for(std::chrono::milliseconds(0))) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));  // others remain
            } else {
                wait_for(std::chrono::milliseconds(10));
            }
        }
        if (group_alive()) {
            ::kill(-pid_, SIGKILL);
        }
    }
    int status = 0;
    if (!status_ && ::waitpid(pid_, &status, 0) == pid_) {
        status_ = status_code(status);
    }
    return status_.value_or(255);
}

}  // namespace tcplab
