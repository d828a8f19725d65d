#include "test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/files.hpp"
#include "tls/ca.hpp"

namespace tcplab::tls::test {

namespace fs = std::filesystem;

namespace {

int counter = 0;

}  // namespace

Child::Child(const std::vector<std::string>& argv, const fs::path& output_dir,
             const std::string& stdin_data) {
    const int n = ++counter;
    out_ = output_dir / ("child" + std::to_string(n) + ".out");
    err_ = output_dir / ("child" + std::to_string(n) + ".err");
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(pipe_fds[0], 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(pipe_fds[0]);
    stdin_fd_ = pipe_fds[1];
    if (!stdin_data.empty()) {
        [[maybe_unused]] const ssize_t w = ::write(stdin_fd_, stdin_data.data(), stdin_data.size());
    }
}

Child::~Child() {
    close_stdin();
    if (pid_ > 0 && running()) {
        ::kill(pid_, SIGTERM);
        if (wait(std::chrono::seconds(3)) == -1 && running()) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status_, 0);
        }
    }
}

void Child::close_stdin() {
    if (stdin_fd_ >= 0) {
        ::close(stdin_fd_);
        stdin_fd_ = -1;
    }
}

bool Child::running() {
    if (pid_ <= 0) {
        return false;
    }
    if (status_ != -1) {
        return false;
    }
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = status;
        return false;
    }
    return r == 0;
}

int Child::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (WIFEXITED(status_)) {
        return WEXITSTATUS(status_);
    }
    return 128 + (WIFSIGNALED(status_) ? WTERMSIG(status_) : 0);
}

std::string Child::out() const { return test_support::read_file(out_); }
std::string Child::err() const { return test_support::read_file(err_); }

RunResult run(const std::vector<std::string>& argv, const fs::path& output_dir,
              std::chrono::milliseconds timeout, const std::string& stdin_data) {
    Child child(argv, output_dir, stdin_data);
    child.close_stdin();
    RunResult r;
    r.rc = child.wait(timeout);
    r.out = child.out();
    r.err = child.err();
    return r;
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in);
    socklen_t len = sizeof in;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&in), &len);
    ::close(fd);
    return ntohs(in.sin_port);
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in.sin_port = htons(port);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&in), sizeof in) == 0;
        ::close(fd);
        if (ok) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::size_t open_fd_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

Pki make_pki(const fs::path& dir, bool with_rsa) {
    Pki pki{dir / "pki", dir / "other"};
    init_ca({pki.dir, "tcplab test CA", KeySpec{}, 30});
    init_ca({pki.other_dir, "unrelated CA", KeySpec{}, 30});
    const auto issue = [](const fs::path& d, const std::string& name, CertRole role,
                          const std::string& key) {
        IssueOptions o;
        o.dir = d;
        o.name = name;
        o.role = role;
        o.key = KeySpec::parse(key);
        o.days = 2;
        issue_certificate(o);
    };
    issue(pki.dir, "server", CertRole::server, "ec");
    issue(pki.dir, "c1", CertRole::client, "ec");
    issue(pki.other_dir, "server", CertRole::server, "ec");
    issue(pki.other_dir, "c1", CertRole::client, "ec");
    if (with_rsa) {
        issue(pki.dir, "rsa-server", CertRole::server, "rsa:2048");
        issue(pki.dir, "rsa-client", CertRole::client, "rsa:2048");
    }
    IssueOptions expired;
    expired.dir = pki.dir;
    expired.name = "expired";
    expired.role = CertRole::client;
    expired.not_before = parse_utc_time("2020-01-01", "--not-before");
    expired.not_after = parse_utc_time("2020-02-01", "--not-after");
    issue_certificate(expired);
    return pki;
}

bool have_openssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

}  // namespace tcplab::tls::test
