#include "netem/topology.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <utility>

#include "netem/stop_signal.hpp"
#include "packet/errors.hpp"

namespace tcplab::netem {

namespace fs = std::filesystem;

namespace {

constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;

// Namespaces need CAP_SYS_ADMIN (mount of /run/netns) and links/routes CAP_NET_ADMIN.
void require_privileges() {
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

std::vector<RunObject> namespaces_of(int run_id) {
    std::vector<RunObject> out;
    for (Role role : kAllRoles) {
        out.push_back({"netns", "", namespace_name(run_id, role)});
    }
    return out;
}

std::string describe_objects(const std::vector<RunObject>& objects) {
    std::string out;
    for (const auto& o : objects) {
        out += (out.empty() ? "" : ", ") + o.kind + " " +
               (o.netns.empty() ? o.name : o.netns + "/" + o.name);
    }
    return out.empty() ? "nothing" : out;
}

}  // namespace

Topology::Topology(const TopologyOptions& options, int run_id, std::optional<RunStateFile> state)
    : runner_(options.runner != nullptr ? options.runner : &system_runner()),
      run_id_(run_id),
      kernel_forwarding_(options.kernel_forwarding),
      state_(std::move(state)),
      active_(true) {}

Topology::Topology(Topology&& other) noexcept
    : runner_(other.runner_),
      run_id_(other.run_id_),
      kernel_forwarding_(other.kernel_forwarding_),
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
        require_privileges();
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
    run.run(ip_n(cli, {"link", "add", kClientInterface, "type", "veth", "peer", "name",
                       kRouterClientInterface, "netns", rtr}));
    record({"link", srv, kServerInterface});
    run.run(ip_n(srv, {"link", "add", kServerInterface, "type", "veth", "peer", "name",
                       kRouterServerInterface, "netns", rtr}));

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
    const std::string fwd = kernel_forwarding_ ? "1" : "0";
    run.run(in_netns(rtr, {"sysctl", "-q", "-w", "net.ipv4.ip_forward=" + fwd,
                           "net.ipv6.conf.all.forwarding=" + fwd}));
    throw_if_stop_requested();
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

std::vector<std::pair<int, std::string>> lab_namespaces() {
    static const std::regex kName(R"(tl([0-9]{1,3})-[A-Za-z0-9_.-]+)");
    std::vector<std::pair<int, std::string>> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/run/netns", ec)) {
        const std::string name = entry.path().filename().string();
        std::smatch m;
        if (std::regex_match(name, m, kName)) {
            out.emplace_back(std::stoi(m[1].str()), name);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool namespace_has_processes(const std::string& name) {
    struct stat target {};
    if (::stat(("/run/netns/" + name).c_str(), &target) != 0) {
        return false;
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string pid = entry.path().filename().string();
        if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) {
            continue;
        }
        struct stat st {};
        if (::stat(("/proc/" + pid + "/ns/net").c_str(), &st) == 0 && st.st_ino == target.st_ino &&
            st.st_dev == target.st_dev) {
            return true;
        }
    }
    return false;
}

namespace {

bool considered(const StaleOptions& options, int run_id) {
    return !options.only_ids || options.only_ids->count(run_id) != 0;
}

// A just-claimed state file is empty for a moment; do not treat it as stale.
bool recently_written(const fs::path& path) {
    std::error_code ec;
    const auto mtime = fs::last_write_time(path, ec);
    return !ec && fs::file_time_type::clock::now() - mtime < std::chrono::seconds(10);
}

void remove_run(const RunRecord& record, const std::string& why, const StaleOptions& options,
                CommandRunner& runner, StaleReport& report) {
    const auto objects = record.parse_error.empty() ? record.objects : namespaces_of(record.run_id);
    const auto failures = remove_objects(objects, runner);
    if (failures.empty()) {
        if (!runner.dry_run()) {
            std::error_code ec;
            fs::remove(run_file(options.state_dir, record.run_id), ec);
        }
        report.removed.push_back("run " + std::to_string(record.run_id) + " (" + why +
                                 "): " + describe_objects(objects));
    } else {
        for (const auto& f : failures) {
            report.failures.push_back("run " + std::to_string(record.run_id) + ": " + f);
        }
    }
}

}  // namespace

StaleReport down_stale(const StaleOptions& options) {
    CommandRunner& runner = options.runner != nullptr ? *options.runner : system_runner();
    if (!runner.dry_run()) {
        require_privileges();
    }
    StaleReport report;
    std::set<int> recorded;
    for (const auto& record : list_runs(options.state_dir)) {
        recorded.insert(record.run_id);
        if (!considered(options, record.run_id)) {
            continue;
        }
        if (!record.parse_error.empty()) {
            if (recently_written(run_file(options.state_dir, record.run_id))) {
                continue;
            }
            remove_run(record, "unreadable state file", options, runner, report);
        } else if (is_stale(record)) {
            remove_run(record, "owner pid " + std::to_string(record.pid) + " is gone", options,
                       runner, report);
        }
    }
    if (options.sweep_orphan_namespaces) {
        for (const auto& [id, name] : lab_namespaces()) {
            if (recorded.count(id) != 0 || !considered(options, id) ||
                namespace_has_processes(name)) {
                continue;
            }
            const auto failures = remove_objects({{"netns", "", name}}, runner);
            if (failures.empty()) {
                report.removed.push_back("netns " + name + " (no state file, no process inside)");
            } else {
                report.failures.insert(report.failures.end(), failures.begin(), failures.end());
            }
        }
    }
    return report;
}

StaleReport down_run(int run_id, const StaleOptions& options) {
    CommandRunner& runner = options.runner != nullptr ? *options.runner : system_runner();
    if (!runner.dry_run()) {
        require_privileges();
    }
    StaleReport report;
    if (const auto record = read_run(options.state_dir, run_id)) {
        if (record->parse_error.empty() && !record->detached && owner_alive(*record)) {
            throw EnvironmentError("run " + std::to_string(run_id) + " is owned by live process " +
                                   std::to_string(record->pid) +
                                   "; stop it (Ctrl-C or kill -TERM " +
                                   std::to_string(record->pid) + ") and it cleans up itself");
        }
        remove_run(*record, record->detached ? "detached" : "owner gone", options, runner, report);
        return report;
    }
    std::vector<RunObject> present;
    for (const auto& o : namespaces_of(run_id)) {
        if (netns_exists(o.name)) {
            present.push_back(o);
        }
    }
    if (present.empty()) {
        throw UsageError("no run " + std::to_string(run_id) + ": no state file " +
                         run_file(options.state_dir, run_id).string() + " and no tl" +
                         std::to_string(run_id) + "-* namespace");
    }
    RunRecord orphan;
    orphan.run_id = run_id;
    orphan.objects = present;
    remove_run(orphan, "no state file", options, runner, report);
    return report;
}

}  // namespace tcplab::netem
