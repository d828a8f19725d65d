#include "netem/lab/congestion_control.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/errors.hpp"

namespace tcplab::netem {

std::vector<std::string> available_congestion_controls() {
    std::ifstream in("/proc/sys/net/ipv4/tcp_available_congestion_control");
    std::vector<std::string> out;
    for (std::string name; in >> name;) {
        out.push_back(name);
    }
    return out;
}

void set_congestion_control(const std::vector<std::string>& namespaces, const std::string& cc,
                            CommandRunner& runner) {
    auto offered = [&] {
        const auto all = available_congestion_controls();
        return std::find(all.begin(), all.end(), cc) != all.end();
    };
    if (!runner.dry_run() && !offered()) {
        runner.run({"modprobe", "tcp_" + cc}, /*check=*/false);
        if (!offered()) {
            std::string names;
            for (const auto& n : available_congestion_controls()) {
                names += (names.empty() ? "" : ", ") + n;
            }
            throw EnvironmentError("cc = " + cc + ": this kernel offers " + names +
                                   " (and `modprobe tcp_" + cc + "` did not add it)");
        }
    }
    // Outside the initial namespace the kernel lets a namespace choose only algorithms on the
    // host's allowed list (TCP_CONG_NON_RESTRICTED): add it there (it also lets unprivileged
    // sockets pick it; nothing else changes for the host).
    if (!runner.dry_run()) {
        std::ifstream in("/proc/sys/net/ipv4/tcp_allowed_congestion_control");
        std::string allowed;
        std::getline(in, allowed);
        std::istringstream names(allowed);
        bool listed = false;
        for (std::string n; names >> n;) {
            listed = listed || n == cc;
        }
        if (!listed) {
            runner.run(
                {"sysctl", "-qw", "net.ipv4.tcp_allowed_congestion_control=" + allowed + " " + cc});
        }
    }
    for (const auto& ns : namespaces) {
        runner.run(
            {"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_congestion_control=" + cc});
    }
}

}  // namespace tcplab::netem
