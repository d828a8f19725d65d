#include "tests/support/netns_pair.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "base/command.hpp"

namespace tcplab::test_support {

namespace {

CommandResult sh(const Argv& argv) { return system_runner().run(argv, false); }

}  // namespace

NetnsPair::NetnsPair() {
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
    const std::vector<Argv> setup = {
        {"ip", "link", "add", if_a_, "netns", a_, "type", "veth", "peer", "name", if_b_, "netns",
         b_},
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
    (void)sh({"ip", "netns", "exec", a_, "ethtool", "-K", if_a_, "tso", "off", "gso", "off", "gro",
              "off", "tx", "off"});
    (void)sh({"ip", "netns", "exec", b_, "ethtool", "-K", if_b_, "tso", "off", "gso", "off", "gro",
              "off", "tx", "off"});
}

NetnsPair::~NetnsPair() {
    for (const pid_t pid : holders_) {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
    }
    (void)sh({"ip", "netns", "del", a_});
    (void)sh({"ip", "netns", "del", b_});
}

std::string NetnsPair::v4(int host) const {
    return "198.18." + std::to_string(n_) + "." + std::to_string(host);
}

std::string NetnsPair::v6(int host) const {
    return "fd7c:3" + std::to_string(n_) + "::" + std::to_string(host);
}

void NetnsPair::drop_every(std::uint16_t port, int nth) {
    const std::string p = std::to_string(port);
    const std::string n = std::to_string(nth);
    for (const auto& [ns, match] :
         {std::pair{b_, std::string("dport")}, std::pair{a_, std::string("sport")}}) {
        (void)sh({"ip", "netns", "exec", ns, "nft", "add", "table", "inet", "tl_loss"});
        (void)sh({"ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "tl_loss", "in",
                  "{ type filter hook input priority -10 ; policy accept ; }"});
        const auto r =
            sh({"ip",  "netns", "exec", ns,       "nft", "add", "rule", "inet", "tl_loss", "in",
                "tcp", match,   p,      "numgen", "inc", "mod", n,      "==",   "0",       "drop"});
        if (r.exit_code != 0) {
            error_ = "nft loss rule: " + r.err;
        }
    }
}

std::uint64_t NetnsPair::rx_packets_b() const {
    const auto r = sh(
        {"ip", "netns", "exec", b_, "cat", "/sys/class/net/" + if_b_ + "/statistics/rx_packets"});
    return r.exit_code == 0 ? std::stoull(r.out) : 0;
}

// A process inside the namespace marks it as in use: the stale sweep (`net down --stale`, run by
// other tests) removes tl<N>-* namespaces with no process inside. The namespace is born with a
// process inside: unshare(CLONE_NEWNET) in a child that then sleeps, and `ip netns attach` names
// it — no window in which it is empty.
bool NetnsPair::hold(const std::string& ns) {
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

}  // namespace tcplab::test_support
