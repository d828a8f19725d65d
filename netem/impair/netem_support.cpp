#include "netem/impair/netem_support.hpp"

#include <unistd.h>

namespace tcplab::netem {

namespace {

// Removes the scratch namespace however detection ends.
class ScratchNetns {
public:
    ScratchNetns(CommandRunner& runner, std::string name)
        : runner_(runner), name_(std::move(name)) {
        runner_.run({"ip", "netns", "add", name_});
        created_ = true;
    }
    ~ScratchNetns() {
        if (created_) {
            (void)runner_.run({"ip", "netns", "del", name_}, false);
        }
    }
    ScratchNetns(const ScratchNetns&) = delete;
    ScratchNetns& operator=(const ScratchNetns&) = delete;
    const std::string& name() const { return name_; }

private:
    CommandRunner& runner_;
    std::string name_;
    bool created_ = false;
};

std::string first_line(std::string s) {
    if (const auto nl = s.find('\n'); nl != std::string::npos) {
        s.resize(nl);
    }
    return s;
}

}  // namespace

NetemSupport detect_netem(CommandRunner* runner_in) {
    CommandRunner& runner = runner_in != nullptr ? *runner_in : system_runner();
    NetemSupport support;
    (void)runner.run({"modprobe", "-q", "sch_netem"}, false);
    try {
        ScratchNetns ns(runner, "tl0-netemprobe" + std::to_string(::getpid()));
        runner.run({"ip", "-n", ns.name(), "link", "add", "probe0", "type", "veth", "peer", "name",
                    "probe1"});
        const auto added = runner.run({"tc", "-n", ns.name(), "qdisc", "add", "dev", "probe0",
                                       "root", "netem", "delay", "1ms"},
                                      false);
        if (added.exit_code != 0) {
            support.reason = "this kernel has no sch_netem (`tc qdisc add ... netem` said: " +
                             first_line(added.err) + ")";
            return support;
        }
        support.available = true;
        const auto help = runner.run(
            {"tc", "-n", ns.name(), "qdisc", "add", "dev", "probe1", "root", "netem", "help"},
            false);
        if ((help.out + help.err).find("seed") != std::string::npos) {
            const auto seeded = runner.run({"tc", "-n", ns.name(), "qdisc", "replace", "dev",
                                            "probe0", "root", "netem", "loss", "1%", "seed", "7"},
                                           false);
            const auto shown =
                runner.run({"tc", "-n", ns.name(), "-j", "qdisc", "show", "dev", "probe0"}, false);
            support.features.netem_seed =
                seeded.exit_code == 0 && shown.out.find("\"seed\"") != std::string::npos;
        }
    } catch (const std::exception& e) {
        support.available = false;
        support.reason = std::string("cannot probe for sch_netem: ") + e.what();
    }
    return support;
}

bool netem_available() { return detect_netem().available; }

}  // namespace tcplab::netem
