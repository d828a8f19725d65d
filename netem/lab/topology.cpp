#include "netem/lab/topology.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>
#include <utility>

#include "base/errors.hpp"
#include "base/stop_signal.hpp"

namespace tcplab::netem {

namespace fs = std::filesystem;

namespace {

constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;

}  // namespace

// Namespaces need CAP_SYS_ADMIN (mount of /run/netns) and links/routes CAP_NET_ADMIN.
void require_lab_privileges() {
    std::ifstream in("/proc/self/status");
    std::string line;
    unsigned long long eff = 0;
    while (std::getline(in, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            eff = std::stoull(line.substr(7), nullptr, 16);
        }
    }
    const bool net_admin = (eff >> kCapNetAdmin) & 1ULL;
    const bool sys_admin = (eff >> kCapSysAdmin) & 1ULL;
    if (!net_admin || !sys_admin) {
        throw EnvironmentError(std::string("creating the lab namespaces needs root (missing ") +
                               (!net_admin ? "CAP_NET_ADMIN" : "") +
                               (!net_admin && !sys_admin ? " and " : "") +
                               (!sys_admin ? "CAP_SYS_ADMIN" : "") + "); run it with sudo");
    }
}

namespace {

bool netns_exists(const std::string& name) {
    std::error_code ec;
    return fs::exists(fs::path("/run/netns") / name, ec);
}

Argv ip_n(const std::string& ns, std::initializer_list<std::string> rest) {
    Argv argv = {"ip", "-n", ns};
    argv.insert(argv.end(), rest);
    return argv;
}

Argv in_netns(const std::string& ns, std::initializer_list<std::string> rest) {
    Argv argv = {"ip", "netns", "exec", ns};
    argv.insert(argv.end(), rest);
    return argv;
}

// Ready: the kernel has seen the carrier (operstate UP, so the device has its real qdisc instead
// of the one that drops everything) and no IPv6 address on it is still tentative.
bool link_ready(CommandRunner& run, const std::string& ns, const std::string& dev) {
    const auto link = run.run(ip_n(ns, {"-o", "link", "show", "dev", dev}), false);
    if (link.exit_code != 0 || link.out.find("state UP") == std::string::npos) return false;
    const auto tentative =
        run.run(ip_n(ns, {"-6", "-o", "addr", "show", "dev", dev, "tentative"}), false);
    return tentative.exit_code == 0 && tentative.out.empty();
}

// `ip link set up` returns before the link is usable: the kernel's linkwatch work turns the
// carrier on a moment later (up to a second on a busy machine), and until then IPv4 packets are
// dropped and IPv6 addresses stay tentative (a ping through the lab went unanswered in CI). Wait
// for it here, so the first packet of every run has a path.
void wait_until_links_ready(CommandRunner& run,
                            const std::vector<std::pair<std::string, std::string>>& ends) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (const auto& [ns, dev] : ends) {
        while (!link_ready(run, ns, dev)) {
            throw_if_stop_requested();
            if (std::chrono::steady_clock::now() > deadline) {
                throw SystemError(ns + " " + dev + ": the link is not up 10 s after `ip link set " +
                                  dev + " up` (operstate or a tentative IPv6 address)");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
}

}  // namespace

Topology::Topology(const TopologyOptions& options, int run_id, std::optional<RunStateFile> state)
    : runner_(options.runner != nullptr ? options.runner : &system_runner()),
      run_id_(run_id),
      kernel_forwarding_(options.kernel_forwarding),
      static_neighbours_(options.static_neighbours),
      state_(std::move(state)),
      active_(true) {}

Topology::Topology(Topology&& other) noexcept
    : runner_(other.runner_),
      run_id_(other.run_id_),
      kernel_forwarding_(other.kernel_forwarding_),
      static_neighbours_(other.static_neighbours_),
      state_(std::move(other.state_)),
      objects_(std::move(other.objects_)),
      active_(std::exchange(other.active_, false)) {}

Topology Topology::up(const TopologyOptions& options) {
    CommandRunner& runner = options.runner != nullptr ? *options.runner : system_runner();
    std::optional<RunStateFile> state;
    int id = 0;
    if (runner.dry_run()) {
        // Nothing is created, so nothing is claimed: just show the id a real run would get.
        if (options.run_id) {
            id = *options.run_id;
        } else {
            for (int n = kMinRunId; id == 0 && n <= kMaxRunId; ++n) {
                if (!run_namespaces_exist(n) && !fs::exists(run_file(options.state_dir, n))) {
                    id = n;
                }
            }
        }
        if (id < kMinRunId || id > kMaxRunId) {
            throw UsageError("--id must be in " + std::to_string(kMinRunId) + ".." +
                             std::to_string(kMaxRunId));
        }
    } else {
        require_lab_privileges();
        if (options.run_id) {
            id = *options.run_id;
            if (id >= kMinRunId && id <= kMaxRunId && run_namespaces_exist(id)) {
                throw UsageError("--id " + std::to_string(id) + ": namespaces tl" +
                                 std::to_string(id) + "-* already exist (see `tcplab net status`)");
            }
            state = RunStateFile::claim(options.state_dir, id);
            if (!state) {
                throw UsageError("--id " + std::to_string(id) + " is in use: " +
                                 run_file(options.state_dir, id).string() + " exists");
            }
        } else {
            state = RunStateFile::claim_free(options.state_dir);
            id = state->record().run_id;
        }
    }
    Topology topo(options, id, std::move(state));
    try {
        topo.create(options);
    } catch (...) {
        // Undo before the error leaves: a failed up() leaves nothing behind.
        try {
            topo.down();
        } catch (...) {  // the state file stays; down_stale() finishes the job
        }
        throw;
    }
    return topo;
}

void Topology::record(const RunObject& object) {
    if (state_) {
        state_->add(object);
    }
    objects_.push_back(object);
}

void Topology::create(const TopologyOptions& options) {
    CommandRunner& run = *runner_;
    const std::string cli = namespace_name(Role::client);
    const std::string rtr = namespace_name(Role::router);
    const std::string srv = namespace_name(Role::server);
    const std::string n = std::to_string(run_id_);

    for (Role role : kAllRoles) {
        throw_if_stop_requested();
        const std::string ns = namespace_name(role);
        record({"netns", "", ns});
        run.run({"ip", "netns", "add", ns});
    }
    for (Role role : kAllRoles) {
        run.run(ip_n(namespace_name(role), {"link", "set", "lo", "up"}));
        if (options.quiet_ipv6) {
            // Before the veths exist, so they inherit the defaults: no DAD delay, no RS/RA noise.
            run.run(in_netns(namespace_name(role),
                             {"sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0",
                              "net.ipv6.conf.default.router_solicitations=0",
                              "net.ipv6.conf.default.accept_ra=0"}));
        }
    }
    throw_if_stop_requested();
    record({"link", cli, kClientInterface});
    const auto mac = [&](const std::string& dev) { return veth_mac(run_id_, dev); };
    run.run(ip_n(cli, {"link", "add", kClientInterface, "address", mac(kClientInterface), "type",
                       "veth", "peer", "name", kRouterClientInterface, "address",
                       mac(kRouterClientInterface), "netns", rtr}));
    record({"link", srv, kServerInterface});
    run.run(ip_n(srv, {"link", "add", kServerInterface, "address", mac(kServerInterface), "type",
                       "veth", "peer", "name", kRouterServerInterface, "address",
                       mac(kRouterServerInterface), "netns", rtr}));

    const std::vector<std::pair<std::string, std::string>> ends = {{cli, kClientInterface},
                                                                   {rtr, kRouterClientInterface},
                                                                   {rtr, kRouterServerInterface},
                                                                   {srv, kServerInterface}};
    if (options.disable_offloads) {
        // One wire packet = one capture record, and real checksums in every capture.
        for (const auto& [ns, dev] : ends) {
            throw_if_stop_requested();
            run.run(in_netns(ns, {"ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off",
                                  "lro", "off", "tx", "off", "rx", "off", "sg", "off"}));
        }
    }
    throw_if_stop_requested();
    struct Addr {
        std::string ns, dev, cidr;
        bool v6;
    };
    const std::vector<Addr> addrs = {
        {cli, kClientInterface, netem::client_ipv4(run_id_) + "/24", false},
        {cli, kClientInterface, netem::client_ipv6(run_id_) + "/64", true},
        {rtr, kRouterClientInterface, router_client_ipv4(run_id_) + "/24", false},
        {rtr, kRouterClientInterface, router_client_ipv6(run_id_) + "/64", true},
        {rtr, kRouterServerInterface, router_server_ipv4(run_id_) + "/24", false},
        {rtr, kRouterServerInterface, router_server_ipv6(run_id_) + "/64", true},
        {srv, kServerInterface, netem::server_ipv4(run_id_) + "/24", false},
        {srv, kServerInterface, netem::server_ipv6(run_id_) + "/64", true},
    };
    for (const auto& a : addrs) {
        Argv argv = ip_n(a.ns, {"addr", "add", a.cidr, "dev", a.dev});
        if (a.v6) {
            argv.push_back("nodad");
        }
        run.run(argv);
    }
    for (const auto& [ns, dev] : ends) {
        run.run(ip_n(ns, {"link", "set", dev, "up"}));
    }
    throw_if_stop_requested();
    // Routes only toward the other lab subnet: the namespaces have no default route, so nothing
    // can leave the lab even by mistake.
    run.run(
        ip_n(cli, {"route", "add", "198.19." + n + ".0/24", "via", router_client_ipv4(run_id_)}));
    run.run(ip_n(
        cli, {"-6", "route", "add", "fd7c:" + n + ":2::/64", "via", router_client_ipv6(run_id_)}));
    run.run(
        ip_n(srv, {"route", "add", "198.18." + n + ".0/24", "via", router_server_ipv4(run_id_)}));
    run.run(ip_n(
        srv, {"-6", "route", "add", "fd7c:" + n + ":1::/64", "via", router_server_ipv6(run_id_)}));
    if (static_neighbours_) {
        add_static_neighbours(run);
    }
    const std::string fwd = kernel_forwarding_ ? "1" : "0";
    run.run(in_netns(rtr, {"sysctl", "-q", "-w", "net.ipv4.ip_forward=" + fwd,
                           "net.ipv6.conf.all.forwarding=" + fwd}));
    if (!run.dry_run()) wait_until_links_ready(run, ends);
    throw_if_stop_requested();
}

// Each namespace learns its peers' MACs from the table, never from the wire (see
// TopologyOptions::static_neighbours): both families, since a run may use either.
void Topology::add_static_neighbours(CommandRunner& run) {
    struct Neighbour {
        Role role;
        const std::string& dev;
        std::string address;
        const std::string& peer_dev;
    };
    const int n = run_id_;
    const std::vector<Neighbour> entries = {
        {Role::client, kClientInterface, router_client_ipv4(n), kRouterClientInterface},
        {Role::client, kClientInterface, router_client_ipv6(n), kRouterClientInterface},
        {Role::router, kRouterClientInterface, netem::client_ipv4(n), kClientInterface},
        {Role::router, kRouterClientInterface, netem::client_ipv6(n), kClientInterface},
        {Role::router, kRouterServerInterface, netem::server_ipv4(n), kServerInterface},
        {Role::router, kRouterServerInterface, netem::server_ipv6(n), kServerInterface},
        {Role::server, kServerInterface, router_server_ipv4(n), kRouterServerInterface},
        {Role::server, kServerInterface, router_server_ipv6(n), kRouterServerInterface},
    };
    for (const auto& e : entries) {
        run.run(ip_n(namespace_name(e.role),
                     {"neigh", "replace", e.address, "lladdr", veth_mac(n, e.peer_dev), "dev",
                      e.dev, "nud", "permanent"}));
    }
}

const char* Topology::path_warming() const {
    return static_neighbours_ ? kPathWarmingStaticNeighbours : kPathWarmingNone;
}

void Topology::down() {
    if (!active_) {
        return;
    }
    active_ = false;
    const auto failures = remove_objects(objects_, *runner_);
    if (!failures.empty()) {
        std::string msg = "run " + std::to_string(run_id_) + ": could not remove";
        for (const auto& f : failures) msg += "\n  " + f;
        throw SystemError(msg + "\n(the state file stays; `tcplab net down --stale` retries)");
    }
    if (state_) {
        state_->remove();
    }
    objects_.clear();
}

void Topology::detach() {
    if (state_) {
        state_->set_detached(true);
    }
    active_ = false;
}

Topology::~Topology() {
    try {
        down();
    } catch (...) {  // a destructor must not throw; the state file records what is left
    }
}

std::vector<std::string> remove_objects(const std::vector<RunObject>& objects,
                                        CommandRunner& runner) {
    std::vector<std::string> failures;
    for (auto it = objects.rbegin(); it != objects.rend(); ++it) {
        const auto& o = *it;
        if (o.kind == "link") {
            if (!runner.dry_run() && !netns_exists(o.netns)) {
                continue;  // went with its namespace
            }
            const auto r = runner.run(ip_n(o.netns, {"link", "del", o.name}), false);
            if (r.exit_code != 0 && !runner.dry_run() &&
                runner.run(ip_n(o.netns, {"link", "show", "dev", o.name}), false).exit_code == 0) {
                failures.push_back("link " + o.netns + "/" + o.name + ": " + r.err);
            }
        } else if (o.kind == "netns") {
            if (!runner.dry_run() && !netns_exists(o.name)) {
                continue;
            }
            const auto r = runner.run({"ip", "netns", "del", o.name}, false);
            if (!runner.dry_run() && netns_exists(o.name)) {
                failures.push_back("netns " + o.name + ": " + r.err);
            }
        } else {
            failures.push_back("unknown object kind '" + o.kind + "' (" + o.name + ")");
        }
    }
    return failures;
}

}  // namespace tcplab::netem
