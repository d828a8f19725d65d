#pragma once
// Does this machine have a working sch_netem? Asked once before choosing a backend:
//   1. `modprobe sch_netem` (may fail harmlessly when netem is built in or absent);
//   2. a scratch namespace tl0-netemprobe<pid> with a veth pair, and
//      `tc qdisc add dev ... root netem delay 1ms` on it — the only reliable test;
//   3. `tc qdisc add ... netem help` lists `seed` when iproute2 can pass netem's seed, and the
//      kernel reports it back in `tc -j qdisc show` when it honours it.
// The scratch namespace is removed before returning (also on failure); it is never created in
// --dry-run mode.
#include <string>

#include "base/command.hpp"
#include "netem/impair/tc_backend.hpp"

namespace tcplab::netem {

struct NetemSupport {
    bool available = false;
    std::string reason;   // why not, in one line ("this kernel has no sch_netem: ...")
    TcFeatures features;  // valid when available
};

NetemSupport detect_netem(CommandRunner* runner = nullptr);

// Shortcut: detect_netem().available.
bool netem_available();

}  // namespace tcplab::netem
