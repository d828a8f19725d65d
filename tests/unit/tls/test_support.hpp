#pragma once
// Helpers for the TLS tests: a temp dir, child processes that are always reaped (RAII), free
// loopback ports, and a CA made at run time (no key is ever committed).
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/scratch_dir.hpp"

namespace tcplab::tls::test {

// tests/support's ScratchDir, with `tmp / "name"`.
class TempDir : public test_support::ScratchDir {
public:
    TempDir() : ScratchDir("tls") {}
    std::filesystem::path operator/(const std::string& name) const { return path() / name; }
};

// A child process (argv, no shell). stdout/stderr go to files; stdin is a pipe we hold open
// (openssl s_server stops at EOF on stdin) until close_stdin(). The destructor kills (TERM,
// then KILL) and reaps it, so no test leaves a process behind.
class Child {
public:
    Child(const std::vector<std::string>& argv, const std::filesystem::path& output_dir,
          const std::string& stdin_data = "");
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    void close_stdin();
    // Waits for exit; returns the exit code, or -1 on timeout (the child is left running).
    int wait(std::chrono::milliseconds timeout);
    bool running();
    std::string out() const;
    std::string err() const;
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int status_ = -1;
    std::filesystem::path out_, err_;
};

struct RunResult {
    int rc = -1;
    std::string out;
    std::string err;
};

// Runs to completion (killed after `timeout`).
RunResult run(const std::vector<std::string>& argv, const std::filesystem::path& output_dir,
              std::chrono::milliseconds timeout = std::chrono::seconds(30),
              const std::string& stdin_data = "");

// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close).
std::uint16_t free_port();

// Polls until something accepts on 127.0.0.1:port.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

// Open descriptors of this process (entries of /proc/self/fd).
std::size_t open_fd_count();

// A test PKI under dir, made at run time: pki/{ca,server,c1,expired}.pem (+ rsa-server and
// rsa-client with RSA 2048 keys when asked) and an unrelated CA other/{ca,server,c1}.pem.
// "server" doubles as the wrong-EKU client certificate.
struct Pki {
    std::filesystem::path dir;        // main CA
    std::filesystem::path other_dir;  // an unrelated CA
};
Pki make_pki(const std::filesystem::path& dir, bool with_rsa = false);

// The openssl CLI (tests use it as the independent peer).
bool have_openssl();

// A test suite whose tests share one PKI (made once per suite, in a temp dir removed after it)
// and, with NeedsOpenssl, skip with the reason when the openssl CLI is not installed.
template <bool WithRsa, bool NeedsOpenssl>
class PkiSuite : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        tmp_ = new TempDir();
        pki_ = make_pki(tmp_->path(), WithRsa);
    }
    static void TearDownTestSuite() {
        delete tmp_;
        tmp_ = nullptr;
    }
    void SetUp() override {
        if (NeedsOpenssl && !have_openssl()) {
            GTEST_SKIP() << "openssl CLI not installed (the independent peer)";
        }
    }

    static inline TempDir* tmp_ = nullptr;
    static inline Pki pki_;
};

// The interop suites: EC and RSA credentials, openssl as the peer.
using OpensslPkiSuite = PkiSuite<true, true>;

}  // namespace tcplab::tls::test
