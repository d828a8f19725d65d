#pragma once
// `tcplab net up --backend userspace`: the topology with kernel forwarding off and the userspace
// forwarder impairing the path, on any kernel. The forwarder runs in the process that owns the
// run: in the foreground until Ctrl-C / SIGTERM, or (--detach) in a background process of its
// own. So `net status` shows that process as the run's owner, `net down N` stops it (it removes
// its run), and a killed one leaves a stale run that the next run sweeps.
#include <filesystem>
#include <functional>

#include "netem/impair/impairment.hpp"
#include "netem/lab/topology.hpp"

namespace tcplab::app {

struct UserspaceNetUp {
    netem::TopologyOptions topology;  // kernel forwarding is turned off
    netem::Impairment impairment;
    bool detach = false;
    std::filesystem::path ledger;  // empty: no ledger
};

// `print_topology(topology, detached)` prints the run's addresses once it is up.
int net_up_userspace(UserspaceNetUp options,
                     const std::function<void(const netem::Topology&, bool)>& print_topology);

}  // namespace tcplab::app
