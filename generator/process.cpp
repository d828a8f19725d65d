#include "generator/process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/errors.hpp"
#include "base/unique_fd.hpp"

namespace tcplab::gen {

namespace {

// The child reports an exec failure through this exit code (127, like a shell).
constexpr int kExecFailed = 127;

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
    if (argv.empty()) {
        throw UsageError("run_command: empty argv");
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        throw SystemError(std::string("pipe: ") + std::strerror(errno));
    }
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);
    std::vector<char*> c_argv;
    for (const auto& a : argv) {
        c_argv.push_back(const_cast<char*>(a.c_str()));
    }
    c_argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw SystemError(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::dup2(write_end.get(), STDOUT_FILENO);
        ::dup2(write_end.get(), STDERR_FILENO);
        ::execvp(c_argv[0], c_argv.data());
        ::_exit(kExecFailed);
    }
    write_end.reset();
    CommandResult result;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n > 0) {
            result.output.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (result.exit_code == kExecFailed && result.output.empty()) {
        throw EnvironmentError("cannot run '" + argv[0] + "' (is it installed?)");
    }
    return result;
}

std::string join_argv(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) {
            out += ' ';
        }
        out += a;
    }
    return out;
}

}  // namespace tcplab::gen
