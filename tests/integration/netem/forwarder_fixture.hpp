#pragma once
// Test support for the forwarder and path-diff integration tests: a private client-router-server
// topology (tl2NN-cli/-rtr/-srv, kernel forwarding off in the router), kernel-socket traffic
// run inside the namespaces, and captures at both ends. Everything is RAII: namespaces
// are deleted (with their veths) even when a test fails.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "netem/capture/capture.hpp"
#include "tests/integration/netem/topology_test_util.hpp"
#include "tests/support/scratch_dir.hpp"

extern char** environ;

namespace tcplab::netem::testing {

// Runs argv (no shell), output discarded; throws with the command line when it fails.
inline void run(const std::vector<std::string>& argv, bool check = true) {
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    std::string line;
    for (const auto& a : argv) {
        line += a + " ";
    }
    if (rc != 0) {
        throw std::runtime_error("cannot run " + line + ": " + std::strerror(rc));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (check && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        throw std::runtime_error("command failed: " + line);
    }
}

// tl2NN-{cli,rtr,srv}: 198.18.NN.2 -- .1 [router] 198.19.NN.1 -- 198.19.NN.2, offloads off so one
// wire packet is one frame, ip_forward off in the router (the forwarder moves the frames).
// IPv6 is off unless asked for; then fd7c:NN:1::2 -- ::1 [router] fd7c:NN:2::1 -- ::2 too, with
// IPv6 forwarding off in the router and no static neighbours (resolved by NS/NA).
class TestTopology {
public:
    explicit TestTopology(int salt, bool ipv6 = false) : ipv6_(ipv6) {
        id_ = 200 + static_cast<int>((::getpid() + salt) % 50);
        cli_ = "tl" + std::to_string(id_) + "-cli";
        rtr_ = "tl" + std::to_string(id_) + "-rtr";
        srv_ = "tl" + std::to_string(id_) + "-srv";
        remove();  // a leftover of a killed run with the same id
        try {
            create();
        } catch (...) {
            remove();
            throw;
        }
    }
    ~TestTopology() { remove(); }
    TestTopology(const TestTopology&) = delete;
    TestTopology& operator=(const TestTopology&) = delete;

    const std::string& client_ns() const { return cli_; }
    const std::string& router_ns() const { return rtr_; }
    const std::string& server_ns() const { return srv_; }
    std::string client_ip() const { return "198.18." + std::to_string(id_) + ".2"; }
    std::string server_ip() const { return "198.19." + std::to_string(id_) + ".2"; }
    std::string client_ipv6() const { return "fd7c:" + std::to_string(id_) + ":1::2"; }
    std::string server_ipv6() const { return "fd7c:" + std::to_string(id_) + ":2::2"; }

private:
    void create() {
        for (const auto& ns : {cli_, rtr_, srv_}) {
            run({"ip", "netns", "add", ns});
            run({"ip", "-n", ns, "link", "set", "lo", "up"});
        }
        run({"ip", "link", "add", "veth-c", "netns", cli_, "type", "veth", "peer", "name",
             "veth-rc", "netns", rtr_});
        run({"ip", "link", "add", "veth-s", "netns", srv_, "type", "veth", "peer", "name",
             "veth-rs", "netns", rtr_});
        const std::string n = std::to_string(id_);
        run({"ip", "-n", cli_, "addr", "add", "198.18." + n + ".2/24", "dev", "veth-c"});
        run({"ip", "-n", rtr_, "addr", "add", "198.18." + n + ".1/24", "dev", "veth-rc"});
        run({"ip", "-n", rtr_, "addr", "add", "198.19." + n + ".1/24", "dev", "veth-rs"});
        run({"ip", "-n", srv_, "addr", "add", "198.19." + n + ".2/24", "dev", "veth-s"});
        for (const auto& [ns, dev] : {std::pair{cli_, "veth-c"}, std::pair{rtr_, "veth-rc"},
                                      std::pair{rtr_, "veth-rs"}, std::pair{srv_, "veth-s"}}) {
            // No IPv6 chatter (DAD, RS) in the captures unless IPv6 is asked for; one wire
            // packet = one frame.
            run({"ip", "netns", "exec", ns, "sysctl", "-q", "-w",
                 std::string("net.ipv6.conf.") + dev + ".disable_ipv6=" + (ipv6_ ? "0" : "1")},
                false);
            run({"ip", "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro",
                 "off", "tx", "off", "rx", "off", "sg", "off"},
                false);
            run({"ip", "-n", ns, "link", "set", dev, "up"});
        }
        run({"ip", "netns", "exec", rtr_, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0"});
        run({"ip", "-n", cli_, "route", "add", "default", "via", "198.18." + n + ".1"});
        run({"ip", "-n", srv_, "route", "add", "default", "via", "198.19." + n + ".1"});
        if (ipv6_) {
            const std::string p = "fd7c:" + n + ":";
            run({"ip", "netns", "exec", rtr_, "sysctl", "-q", "-w",
                 "net.ipv6.conf.all.forwarding=0"});
            run({"ip", "-n", cli_, "addr", "add", p + "1::2/64", "dev", "veth-c", "nodad"});
            run({"ip", "-n", rtr_, "addr", "add", p + "1::1/64", "dev", "veth-rc", "nodad"});
            run({"ip", "-n", rtr_, "addr", "add", p + "2::1/64", "dev", "veth-rs", "nodad"});
            run({"ip", "-n", srv_, "addr", "add", p + "2::2/64", "dev", "veth-s", "nodad"});
            run({"ip", "-n", cli_, "-6", "route", "add", "default", "via", p + "1::1"});
            run({"ip", "-n", srv_, "-6", "route", "add", "default", "via", p + "2::1"});
        }
    }
    void remove() {
        for (const auto& ns : {srv_, rtr_, cli_}) {
            run({"ip", "netns", "del", ns}, false);
        }
    }
    bool ipv6_ = false;
    int id_ = 0;
    std::string cli_, rtr_, srv_;
};

inline sockaddr_in make_addr(const std::string& ip, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    return a;
}

// An IPv4 or IPv6 socket address (IPv6 when the text has a ':').
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

inline SocketAddress make_socket_address(const std::string& ip, std::uint16_t port) {
    SocketAddress out;
    if (ip.find(':') == std::string::npos) {
        const sockaddr_in a = make_addr(ip, port);
        std::memcpy(&out.storage, &a, sizeof a);
        out.length = sizeof a;
        return out;
    }
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    ::inet_pton(AF_INET6, ip.c_str(), &a.sin6_addr);
    std::memcpy(&out.storage, &a, sizeof a);
    out.length = sizeof a;
    return out;
}

inline void set_timeout(int fd, double seconds) {
    timeval tv{static_cast<time_t>(seconds),
               static_cast<suseconds_t>((seconds - static_cast<long>(seconds)) * 1e6)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

using Clock = std::chrono::steady_clock;

// A UDP receiver in the server namespace: returns the sequence numbers it got, in arrival order.
// Stops `idle_s` after the last datagram or at `deadline_s`.
inline std::future<std::vector<std::uint32_t>> udp_receiver(
    const std::string& ns, const std::string& ip, std::uint16_t port, std::promise<void>& ready,
    double idle_s = 1.0, double deadline_s = 30) {
    return std::async(std::launch::async, [ns, ip, port, &ready, idle_s, deadline_s] {
        std::vector<std::uint32_t> got;
        tcplab::ScopedNetns inside(ns);
        UniqueFd fd(::socket(AF_INET, SOCK_DGRAM, 0));
        const int big = 4 << 20;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
        sockaddr_in a = make_addr(ip, port);
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            throw std::runtime_error("bind udp receiver");
        }
        ready.set_value();
        set_timeout(fd.get(), idle_s);
        const auto end = Clock::now() + std::chrono::duration<double>(deadline_s);
        std::uint8_t buf[2048];
        while (Clock::now() < end) {
            const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
            if (n < 0) {
                if (!got.empty()) {
                    break;  // idle after traffic: done
                }
                continue;
            }
            if (n >= 4) {
                std::uint32_t seq = 0;
                std::memcpy(&seq, buf, 4);
                got.push_back(seq);
            }
        }
        return got;
    });
}

// Sends `count` numbered datagrams of `size` bytes from the client namespace, paced.
inline void udp_send(const std::string& ns, const std::string& dst, std::uint16_t port,
                     std::uint32_t count, std::size_t size = 200,
                     std::chrono::microseconds gap = std::chrono::microseconds(200)) {
    tcplab::run_in_netns(ns, [&] {
        UniqueFd fd(::socket(AF_INET, SOCK_DGRAM, 0));
        sockaddr_in a = make_addr(dst, port);
        std::vector<std::uint8_t> buf(size, 0x5a);
        for (std::uint32_t i = 0; i < count; ++i) {
            std::memcpy(buf.data(), &i, 4);
            ::sendto(fd.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&a),
                     sizeof a);
            std::this_thread::sleep_for(gap);
        }
    });
}

struct BulkResult {
    std::uint64_t bytes = 0;
    double seconds = 0;  // first byte to last byte at the receiver
};

// One TCP connection client -> server (IPv4 or IPv6) carrying `bytes`; returns what the server
// received.
inline BulkResult tcp_bulk(const std::string& client_ns, const std::string& server_ns,
                           const std::string& server_ip, std::uint16_t port, std::uint64_t bytes,
                           double timeout_s = 60) {
    std::promise<void> listening;
    auto server = std::async(std::launch::async, [&] {
        tcplab::ScopedNetns inside(server_ns);
        const SocketAddress a = make_socket_address(server_ip, port);
        UniqueFd ls(::socket(a.family(), SOCK_STREAM, 0));
        const int one = 1;
        ::setsockopt(ls.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(ls.get(), a.get(), a.length) != 0 || ::listen(ls.get(), 1) != 0) {
            throw std::runtime_error("tcp listen failed");
        }
        listening.set_value();
        set_timeout(ls.get(), timeout_s);
        UniqueFd c(::accept(ls.get(), nullptr, nullptr));
        if (!c) {
            throw std::runtime_error("tcp accept timed out");
        }
        set_timeout(c.get(), timeout_s);
        BulkResult r;
        std::vector<std::uint8_t> buf(1 << 16);
        Clock::time_point first{}, last{};
        while (true) {
            const ssize_t n = ::recv(c.get(), buf.data(), buf.size(), 0);
            if (n <= 0) {
                break;
            }
            last = Clock::now();
            if (r.bytes == 0) {
                first = last;
            }
            r.bytes += static_cast<std::uint64_t>(n);
        }
        r.seconds = std::chrono::duration<double>(last - first).count();
        return r;
    });
    listening.get_future().wait();
    tcplab::run_in_netns(client_ns, [&] {
        const SocketAddress a = make_socket_address(server_ip, port);
        UniqueFd fd(::socket(a.family(), SOCK_STREAM, 0));
        set_timeout(fd.get(), timeout_s);
        if (::connect(fd.get(), a.get(), a.length) != 0) {
            throw std::runtime_error(std::string("tcp connect: ") + std::strerror(errno));
        }
        std::vector<std::uint8_t> buf(1 << 16, 0xab);
        std::uint64_t left = bytes;
        while (left > 0) {
            const ssize_t n =
                ::send(fd.get(), buf.data(), std::min<std::uint64_t>(left, buf.size()), 0);
            if (n <= 0) {
                throw std::runtime_error(std::string("tcp send: ") + std::strerror(errno));
            }
            left -= static_cast<std::uint64_t>(n);
        }
        ::shutdown(fd.get(), SHUT_WR);
        char sink[256];
        while (::recv(fd.get(), sink, sizeof sink, 0) > 0) {
        }
    });
    return server.get();
}

// The product's capture (netem::Capture, tested on its own in capture_integration_test) of one
// interface for the length of a scope. stop() waits a moment for the last frames in flight.
class ScopedCapture {
public:
    ScopedCapture(const std::string& ns, const std::string& interface, std::filesystem::path file)
        : capture_(CaptureOptions(ns, interface, std::move(file))) {
        capture_.start();
    }
    ~ScopedCapture() {
        try {
            stop();
        } catch (...) {  // a destructor must not throw; a test that cares calls stop() itself
        }
    }
    ScopedCapture(const ScopedCapture&) = delete;
    ScopedCapture& operator=(const ScopedCapture&) = delete;
    void stop() {
        if (capture_.running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            stats_ = capture_.stop();
        }
    }
    std::uint64_t dropped() const { return stats_.dropped + stats_.if_dropped; }

private:
    Capture capture_;
    CaptureStats stats_;
};

using test_support::ScratchDir;

}  // namespace tcplab::netem::testing
