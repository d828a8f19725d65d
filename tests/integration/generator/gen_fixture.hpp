#pragma once
// The generator's integration tests run in a test_support::NetnsPair (tl3NN-a for the generator,
// tl3NN-b for the kernel peer), capture with test_support::ScopedCapture, and talk to this: a
// kernel TCP listener on a thread inside tl3NN-b that checks the generator's payload pattern.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "generator/tcp_client.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/netns_pair.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/tshark.hpp"

namespace tcplab::gen::testing {

using namespace tcplab::test_support;  // NOLINT: the shared fixtures

// A kernel TCP listener on a thread inside a namespace: accepts one connection, reads to EOF
// (counting bytes and checking the generator's payload pattern), then closes (its FIN).
class KernelListener {
public:
    KernelListener(const std::string& ns, bool ipv6, std::uint16_t port,
                   int accept_timeout_ms = 30000) {
        std::promise<void> ready;
        auto ready_future = ready.get_future();
        thread_ = std::thread(
            [this, ns, ipv6, port, accept_timeout_ms, ready = std::move(ready)]() mutable {
                try {
                    tcplab::ScopedNetns inside(ns);
                    UniqueFd fd(::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
                    const int one = 1;
                    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                    sockaddr_storage addr{};
                    socklen_t len = 0;
                    if (ipv6) {
                        auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
                        a6->sin6_family = AF_INET6;
                        a6->sin6_port = htons(port);
                        len = sizeof *a6;
                    } else {
                        auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
                        a4->sin_family = AF_INET;
                        a4->sin_port = htons(port);
                        len = sizeof *a4;
                    }
                    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
                        ::listen(fd.get(), 8) != 0) {
                        error_ = "bind/listen failed";
                        ready.set_value();
                        return;
                    }
                    ready.set_value();
                    pollfd p{fd.get(), POLLIN, 0};
                    if (::poll(&p, 1, accept_timeout_ms) <= 0) {
                        return;  // nobody came
                    }
                    UniqueFd conn(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
                    accepted_ = true;
                    std::vector<std::uint8_t> buffer(65536);
                    for (;;) {
                        pollfd c{conn.get(), POLLIN, 0};
                        if (::poll(&c, 1, 30000) <= 0) {
                            error_ = "listener: no EOF within 30 s";
                            return;
                        }
                        const ssize_t n = ::recv(conn.get(), buffer.data(), buffer.size(), 0);
                        if (n <= 0) {
                            eof_ = n == 0;
                            break;
                        }
                        for (ssize_t i = 0; i < n; ++i) {
                            if (buffer[static_cast<std::size_t>(i)] !=
                                payload_byte(bytes_ + static_cast<std::uint64_t>(i))) {
                                pattern_ok_ = false;
                            }
                        }
                        bytes_ += static_cast<std::uint64_t>(n);
                    }
                } catch (const std::exception& e) {
                    error_ = e.what();
                    ready.set_value();
                }
            });
        ready_future.wait();
    }
    ~KernelListener() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    void join() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    std::uint64_t bytes() const { return bytes_; }
    bool pattern_ok() const { return pattern_ok_; }
    bool eof() const { return eof_; }
    bool accepted() const { return accepted_; }
    const std::string& error() const { return error_; }

private:
    std::thread thread_;
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<bool> pattern_ok_{true};
    std::atomic<bool> eof_{false};
    std::atomic<bool> accepted_{false};
    std::string error_;
};

}  // namespace tcplab::gen::testing
