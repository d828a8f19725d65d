#pragma once
// Test fixtures for the generator's integration tests: two fresh namespaces joined by a veth pair
// (tl3NN-a for the generator, tl3NN-b for the kernel peer), a kernel TCP listener running on a
// thread inside tl3NN-b, and a tcpdump capture in tl3NN-b. Everything is RAII and removed on
// destruction, also when an assertion fails.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/command.hpp"
#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "generator/tcp_client.hpp"

namespace tcplab::gen::testing {

// Runs argv without checking its exit code; the test fails loudly through the returned code when
// needed. Two minutes covers the slowest command here (tshark reading a flood capture).
inline CommandResult sh(const std::vector<std::string>& argv) {
    static SystemRunner runner(std::chrono::minutes(2));
    return runner.run(argv, /*check=*/false);
}

class NetnsPair {
public:
    NetnsPair() {
        std::random_device rd;
        n_ = 10 + static_cast<int>(rd() % 90);
        a_ = "tl3" + std::to_string(n_) + "-a";
        b_ = "tl3" + std::to_string(n_) + "-b";
        if_a_ = "tl3" + std::to_string(n_) + "ga";
        if_b_ = "tl3" + std::to_string(n_) + "gb";
        // A stale pair with the same number (a killed earlier run) is ours to remove.
        (void)sh({"ip", "netns", "del", a_});
        (void)sh({"ip", "netns", "del", b_});
        const std::string N = std::to_string(n_);
        for (const auto& ns : {a_, b_}) {
            if (!hold(ns)) {
                error_ = "cannot create namespace " + ns;
                return;
            }
        }
        const std::vector<std::vector<std::string>> setup = {
            {"ip", "link", "add", if_a_, "netns", a_, "type", "veth", "peer", "name", if_b_,
             "netns", b_},
            {"ip", "-n", a_, "addr", "add", "198.18." + N + ".1/24", "dev", if_a_},
            {"ip", "-n", b_, "addr", "add", "198.18." + N + ".2/24", "dev", if_b_},
            {"ip", "-n", a_, "addr", "add", "fd7c:3" + N + "::1/64", "dev", if_a_, "nodad"},
            {"ip", "-n", b_, "addr", "add", "fd7c:3" + N + "::2/64", "dev", if_b_, "nodad"},
            {"ip", "-n", a_, "link", "set", "lo", "up"},
            {"ip", "-n", b_, "link", "set", "lo", "up"},
            {"ip", "-n", a_, "link", "set", if_a_, "up"},
            {"ip", "-n", b_, "link", "set", if_b_, "up"},
        };
        for (const auto& argv : setup) {
            const auto r = sh(argv);
            if (r.exit_code != 0) {
                error_ = format_command(argv) + ": " + r.err;
                return;
            }
        }
        // One wire packet = one capture record, and checksums computed in software so the
        // capture shows the real ones (veth would otherwise leave them partial).
        (void)sh({"ip", "netns", "exec", a_, "ethtool", "-K", if_a_, "tso", "off", "gso", "off",
                  "gro", "off", "tx", "off"});
        (void)sh({"ip", "netns", "exec", b_, "ethtool", "-K", if_b_, "tso", "off", "gso", "off",
                  "gro", "off", "tx", "off"});
    }
    ~NetnsPair() {
        for (const pid_t pid : holders_) {
            ::kill(pid, SIGTERM);
            ::waitpid(pid, nullptr, 0);
        }
        (void)sh({"ip", "netns", "del", a_});
        (void)sh({"ip", "netns", "del", b_});
    }
    NetnsPair(const NetnsPair&) = delete;
    NetnsPair& operator=(const NetnsPair&) = delete;

    const std::string& error() const { return error_; }
    const std::string& a() const { return a_; }
    const std::string& b() const { return b_; }
    const std::string& if_b() const { return if_b_; }
    std::string v4(int host) const {
        return "198.18." + std::to_string(n_) + "." + std::to_string(host);
    }
    std::string v6(int host) const {
        return "fd7c:3" + std::to_string(n_) + "::" + std::to_string(host);
    }

    // Drops every Nth packet to and from `port` (nftables, at each end's input). Deterministic on
    // purpose: a random 20% left all ~25 segments of a short exchange untouched 0.8^25 = 0.4% of
    // the time, and the test then saw no retransmission (it happened once under sanitize.sh).
    void drop_every(std::uint16_t port, int nth) {
        const std::string p = std::to_string(port);
        const std::string n = std::to_string(nth);
        for (const auto& [ns, match] :
             {std::pair{b_, std::string("dport")}, std::pair{a_, std::string("sport")}}) {
            (void)sh({"ip", "netns", "exec", ns, "nft", "add", "table", "inet", "tl_loss"});
            (void)sh({"ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "tl_loss", "in",
                      "{ type filter hook input priority -10 ; policy accept ; }"});
            const auto r = sh({"ip",   "netns",   "exec", ns,    "nft", "add", "rule",
                               "inet", "tl_loss", "in",   "tcp", match, p,     "numgen",
                               "inc",  "mod",     n,      "==",  "0",   "drop"});
            if (r.exit_code != 0) {
                error_ = "nft loss rule: " + r.err;
            }
        }
    }

    std::uint64_t rx_packets_b() const {
        const auto r = sh({"ip", "netns", "exec", b_, "cat",
                           "/sys/class/net/" + if_b_ + "/statistics/rx_packets"});
        return r.exit_code == 0 ? std::stoull(r.out) : 0;
    }

private:
    // A process inside the namespace marks it as in use: the scenario runner's stale sweep
    // (running concurrently in other tests) removes tl<N>-* namespaces with no process inside.
    // The namespace is born with a process inside: unshare(CLONE_NEWNET) in a child that then
    // sleeps, and `ip netns attach` names it — no window in which it is empty.
    bool hold(const std::string& ns) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::execlp("unshare", "unshare", "--net", "sleep", "900", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        if (pid < 0) {
            return false;
        }
        holders_.push_back(pid);
        struct stat own {};
        ::stat("/proc/self/ns/net", &own);
        const std::string child = "/proc/" + std::to_string(pid) + "/ns/net";
        for (int i = 0; i < 200; ++i) {
            struct stat st {};
            if (::stat(child.c_str(), &st) == 0 && st.st_ino != own.st_ino) {
                return sh({"ip", "netns", "attach", ns, std::to_string(pid)}).exit_code == 0;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return false;
    }

    int n_ = 0;
    std::string a_, b_, if_a_, if_b_, error_;
    std::vector<pid_t> holders_;
};

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

// tcpdump in a namespace, started before and stopped (SIGINT, flushed) after the traffic.
class Capture {
public:
    Capture(const std::string& ns, const std::string& interface, const std::string& path)
        : path_(path) {
        const std::string log = path + ".log";
        pid_ = ::fork();
        if (pid_ == 0) {
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, STDERR_FILENO);
            ::dup2(fd, STDOUT_FILENO);
            ::execlp("ip", "ip", "netns", "exec", ns.c_str(), "tcpdump", "-i", interface.c_str(),
                     "-n", "-U", "--immediate-mode", "-w", path.c_str(),
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Ready when tcpdump says it is listening (bounded wait).
        for (int i = 0; i < 100; ++i) {
            std::ifstream in(log);
            std::stringstream text;
            text << in.rdbuf();
            if (text.str().find("listening on") != std::string::npos) {
                ready_ = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ~Capture() { stop(); }
    bool ready() const { return ready_; }
    void stop() {
        if (pid_ > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));  // last packets
            ::kill(pid_, SIGINT);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    pid_t pid_ = -1;
    bool ready_ = false;
};

// tshark over a capture, one line per packet with the given fields (checksum validation on).
inline std::vector<std::string> tshark_fields(const std::string& pcap,
                                              const std::vector<std::string>& fields,
                                              const std::string& filter = "", bool two_pass = false,
                                              bool relative = true) {
    std::vector<std::string> argv = {"tshark", "-n",
                                     "-r",     pcap,
                                     "-o",     "tcp.check_checksum:TRUE",
                                     "-o",     "ip.check_checksum:TRUE",
                                     "-T",     "fields"};
    if (!relative) {
        argv.insert(argv.end(), {"-o", "tcp.relative_sequence_numbers:FALSE"});
    }
    if (two_pass) {
        argv.push_back("-2");
    }
    for (const auto& f : fields) {
        argv.push_back("-e");
        argv.push_back(f);
    }
    if (!filter.empty()) {
        argv.push_back(two_pass ? "-R" : "-Y");
        argv.push_back(filter);
    }
    const auto r = sh(argv);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find("Running as user") != std::string::npos ||
            line.find("dangerous") != std::string::npos) {
            continue;
        }
        lines.push_back(line);
    }
    return lines;
}

inline std::filesystem::path scratch_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("tcplab_gen_it_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace tcplab::gen::testing
