#pragma once
// The client-router-server topology of one run (docs/CLI.md "Topology names and addresses").
//
//   auto topo = netem::Topology::up({.kernel_forwarding = true});   // tc backend
//   run_in_netns(topo.namespace_name(Role::client), [&] { ... connect to topo.server_ipv4() ... });
//   // ~Topology removes everything it created, in reverse order
//
// Transactional: every object (namespace, veth) is recorded in the run's state file
// (run_state.hpp) *before* it is created; the destructor deletes in reverse order; a run whose
// owner died (SIGKILL) is removed by down_stale() (topology_stale.hpp states the exact rule). Hold
// a StopSignals (stop_signal.hpp) while a topology exists so SIGINT/SIGTERM unwind through the
// destructor; up() itself checks for a stop between steps and throws Interrupted after undoing what
// it did.
//
// Every command goes through a CommandRunner: with a DryRunRunner nothing is created (no state
// file either) and the recorded argv lists are exactly what a real run executes.
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/command.hpp"
#include "netem/lab/run_state.hpp"
#include "netem/lab/topology_names.hpp"
#include "netem/lab/topology_stale.hpp"  // down_stale() and friends

namespace tcplab::netem {

struct TopologyOptions {
    std::optional<int> run_id;  // default: the lowest free id
    bool kernel_forwarding =
        true;  // tc backend: on; userspace backend: off (the forwarder moves frames)
    bool disable_offloads = true;  // ethtool -K tso/gso/gro/lro/tx/rx/sg off on all four veth ends
    bool quiet_ipv6 = true;  // no DAD, no router solicitations (captures hold only test traffic)
    // Permanent ARP and NDP entries for every veth peer in all three namespaces, so no neighbour
    // resolution ever crosses the impaired path: with the tc backend an ARP reply sits in the
    // same netem queue as the data, and the first SYN of a 100 ms path waited 150 ms for it.
    bool static_neighbours = true;
    std::filesystem::path state_dir = default_state_dir();
    CommandRunner* runner = nullptr;  // default: system_runner()
};

inline constexpr const char* kPathWarmingStaticNeighbours =
    "static neighbour entries (ARP and NDP, nud permanent) for every veth peer: no neighbour "
    "resolution crosses the impaired path";
inline constexpr const char* kPathWarmingNone =
    "none: the first packet toward each neighbour waits for ARP/NDP across the impaired path";

class Topology {
public:
    // Creates everything; on any failure (or a stop signal) removes what it created and throws
    // (SystemError naming the failed command, EnvironmentError when not root, UsageError for a
    // taken --id).
    static Topology up(const TopologyOptions& options = {});

    Topology(Topology&& other) noexcept;
    Topology& operator=(Topology&&) = delete;
    Topology(const Topology&) = delete;
    Topology& operator=(const Topology&) = delete;
    ~Topology();  // down(), errors swallowed (the state file then stays for down_stale)

    // Removes everything now; throws SystemError listing what could not be removed.
    void down();
    // Leaves the topology up after this object dies (`tcplab net up --detach`): the state file is
    // marked detached so down_stale() keeps it; `tcplab net down N` removes it.
    void detach();

    int run_id() const { return run_id_; }
    bool kernel_forwarding() const { return kernel_forwarding_; }
    std::string namespace_name(Role role) const { return netem::namespace_name(run_id_, role); }
    const std::string& client_interface() const { return kClientInterface; }
    const std::string& server_interface() const { return kServerInterface; }
    const std::string& router_client_interface() const { return kRouterClientInterface; }
    const std::string& router_server_interface() const { return kRouterServerInterface; }
    std::string client_ipv4() const { return netem::client_ipv4(run_id_); }
    std::string server_ipv4() const { return netem::server_ipv4(run_id_); }
    std::string client_ipv6() const { return netem::client_ipv6(run_id_); }
    std::string server_ipv6() const { return netem::server_ipv6(run_id_); }
    const std::vector<RunObject>& objects() const { return objects_; }
    // How the path was readied for its first packet, in words for the run's report:
    // kPathWarmingStaticNeighbours, or kPathWarmingNone when static_neighbours was off.
    const char* path_warming() const;

private:
    Topology(const TopologyOptions& options, int run_id, std::optional<RunStateFile> state);
    void create(const TopologyOptions& options);
    void add_static_neighbours(CommandRunner& run);
    void record(const RunObject& object);

    CommandRunner* runner_ = nullptr;
    int run_id_ = 0;
    bool kernel_forwarding_ = true;
    bool static_neighbours_ = true;
    std::optional<RunStateFile> state_;
    std::vector<RunObject> objects_;
    bool active_ = false;
};

// The commands that remove `objects` in reverse order (best effort, absent objects are fine).
// Returns what could not be removed, in words; empty = all gone.
std::vector<std::string> remove_objects(const std::vector<RunObject>& objects,
                                        CommandRunner& runner);

// Throws EnvironmentError naming the missing capability (CAP_NET_ADMIN, CAP_SYS_ADMIN).
void require_lab_privileges();

}  // namespace tcplab::netem
