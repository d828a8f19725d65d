#include "base/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/errors.hpp"
#include "base/unique_fd.hpp"

extern char** environ;

namespace tcplab {

namespace {

struct SpawnActions {
    posix_spawn_file_actions_t actions{};
    SpawnActions() { posix_spawn_file_actions_init(&actions); }
    ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
};

struct SpawnAttr {
    posix_spawnattr_t attr{};
    SpawnAttr() { posix_spawnattr_init(&attr); }
    ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
    SpawnAttr(const SpawnAttr&) = delete;
    SpawnAttr& operator=(const SpawnAttr&) = delete;
};

bool needs_quotes(const std::string& word) {
    if (word.empty()) {
        return true;
    }
    for (char c : word) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || std::strchr("-_./:=,%@+", c) != nullptr;
        if (!plain) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string format_command(const Argv& argv) {
    std::string out;
    for (const auto& word : argv) {
        if (!out.empty()) {
            out += ' ';
        }
        if (!needs_quotes(word)) {
            out += word;
            continue;
        }
        out += '\'';
        for (char c : word) {
            out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        out += '\'';
    }
    return out;
}

std::string stderr_text(const CommandResult& result) {
    std::string err = result.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) {
        err.pop_back();
    }
    return err;
}

std::string describe_failure(const Argv& argv, const CommandResult& result) {
    const std::string err = stderr_text(result);
    return "command failed (exit " + std::to_string(result.exit_code) +
           "): " + format_command(argv) + (err.empty() ? "" : ": " + err);
}

CommandResult SystemRunner::run(const Argv& argv, bool check) {
    if (argv.empty()) {
        throw SystemError("internal: empty command");
    }
    Pipe out_pipe = make_pipe();
    Pipe err_pipe = make_pipe();
    SpawnActions fa;
    posix_spawn_file_actions_addopen(&fa.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa.actions, out_pipe.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa.actions, err_pipe.write.get(), STDERR_FILENO);
    // The child must not inherit our SIGINT/SIGTERM mask or handlers' ignore state.
    SpawnAttr sa;
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&sa.attr, &empty);
    posix_spawnattr_setsigdefault(&sa.attr, &defaults);
    posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> cargv;
    for (const auto& a : argv) {
        cargv.push_back(const_cast<char*>(a.c_str()));
    }
    cargv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, cargv[0], &fa.actions, &sa.attr, cargv.data(), environ);
    if (rc != 0) {
        throw EnvironmentError("cannot run '" + argv[0] + "': " + std::strerror(rc) +
                               (rc == ENOENT ? " (is it installed and on PATH?)" : ""));
    }
    out_pipe.write.reset();
    err_pipe.write.reset();

    CommandResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    bool timed_out = false;
    std::array<pollfd, 2> pfds{
        {{out_pipe.read.get(), POLLIN, 0}, {err_pipe.read.get(), POLLIN, 0}}};
    while (pfds[0].fd >= 0 || pfds[1].fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        const int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        for (std::size_t i = 0; i < pfds.size(); ++i) {
            if (pfds[i].fd < 0 || pfds[i].revents == 0) {
                continue;
            }
            std::array<char, 4096> buf{};
            const ssize_t got = ::read(pfds[i].fd, buf.data(), buf.size());
            if (got > 0) {
                (i == 0 ? result.out : result.err)
                    .append(buf.data(), static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                pfds[i].fd = -1;  // EOF (the pipe closes itself)
            }
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (timed_out) {
        throw SystemError("command timed out after " + std::to_string(timeout_.count()) +
                          " ms and was killed: " + format_command(argv));
    }
    if (check && result.exit_code != 0) {
        throw SystemError(describe_failure(argv, result));
    }
    return result;
}

CommandResult DryRunRunner::run(const Argv& argv, bool /*check*/) {
    commands_.push_back(argv);
    return {};
}

CommandRunner& system_runner() {
    static SystemRunner runner;
    return runner;
}

}  // namespace tcplab
