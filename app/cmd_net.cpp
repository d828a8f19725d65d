// tcplab net up|down|status|exec: thin wiring of netem/impair/impaired_lab.hpp (a topology with
// the tc backend's impairment), netem/lab/topology_stale.hpp and netem/lab/lab_status.hpp. Every
// subcommand parses flags into values, calls the library and prints what it returns.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "app/cli.hpp"
#include "app/net_up_userspace.hpp"
#include "base/command.hpp"
#include "base/errors.hpp"
#include "base/stop_signal.hpp"
#include "netem/impair/impaired_lab.hpp"
#include "netem/impair/impairment_options.hpp"
#include "netem/lab/lab_status.hpp"
#include "netem/lab/topology.hpp"

namespace tcplab::app {

namespace {

namespace nm = tcplab::netem;

constexpr const char* kNetUsage =
    "tcplab net up|down|status|exec ...   (tcplab net <verb> --help for details)";

void print_commands(const std::vector<tcplab::Argv>& commands) {
    for (const auto& argv : commands) {
        std::cout << tcplab::format_command(argv) << "\n";
    }
}

void print_report(const nm::StaleReport& report) {
    for (const auto& line : report.removed) std::cout << "removed " << line << "\n";
    for (const auto& line : report.failures) std::cerr << "could not remove " << line << "\n";
    if (report.removed.empty() && report.failures.empty()) std::cout << "nothing to remove\n";
}

void print_tc_stats(const nm::TcRunStats& stats) {
    for (const auto* s : {&stats.client_to_server, &stats.server_to_client}) {
        std::cout << "netem " << nm::to_string(s->direction) << ": sent " << s->netem.sent_packets
                  << " packets, dropped " << s->netem.drops << " (injected loss "
                  << s->injected_loss << ", queue drops "
                  << (s->queue_drops_separable ? std::to_string(s->queue_drops)
                                               : std::string("not separable from loss"))
                  << "), overlimits " << s->netem.overlimits << ", requeues " << s->netem.requeues
                  << ", schedule drops " << s->schedule_drops << "\n";
    }
}

void print_topology(const nm::Topology& topo, bool detached) {
    const int n = topo.run_id();
    std::cout << "run " << n << " up" << (detached ? " (detached)" : "") << "\n"
              << "  " << topo.namespace_name(nm::Role::client) << "  " << topo.client_interface()
              << "  " << topo.client_ipv4() << "/24  " << topo.client_ipv6() << "/64\n"
              << "  " << topo.namespace_name(nm::Role::router) << "  "
              << topo.router_client_interface() << " " << nm::router_client_ipv4(n) << ", "
              << topo.router_server_interface() << " " << nm::router_server_ipv4(n)
              << "  kernel forwarding " << (topo.kernel_forwarding() ? "on" : "off") << "\n"
              << "  " << topo.namespace_name(nm::Role::server) << "  " << topo.server_interface()
              << "  " << topo.server_ipv4() << "/24  " << topo.server_ipv6() << "/64\n";
    if (detached) {
        std::cout << "remove it with: tcplab net down " << n << "\n";
    } else {
        std::cout << "press Ctrl-C (or send SIGTERM to " << ::getpid() << ") to remove it\n";
    }
    std::cout.flush();
}

struct NetUpFlags {
    nm::LabOptions lab;
    bool dry_run = false;
    bool detach = false;
    bool userspace = false;
    std::string ledger;
};

std::optional<NetUpFlags> parse_net_up(const Args& args) {
    po::options_description options = option_group("net up options");
    options.add_options()("id", po::value<int>(),
                          "run id N (1..250); default: the lowest free one")(
        "dry-run", po::bool_switch(), "print the commands instead of running them")(
        "detach", po::bool_switch(), "leave the topology up and exit (remove with `net down N`)")(
        "no-forwarding", po::bool_switch(),
        "kernel forwarding off in the router (for a userspace forwarder)")(
        "keep-offloads", po::bool_switch(), "do not turn TSO/GSO/GRO/checksum offloads off")(
        "backend", po::value<std::string>()->default_value("tc"),
        "impairment backend: tc (real netem on the router's egress; needs sch_netem) or "
        "userspace (the forwarder impairs the path on any kernel; it runs as the run's owner "
        "process: in the foreground, or in the background with --detach)")(
        "ledger", po::value<std::string>(),
        "userspace: write the forwarder's ledger (one JSON line per action) to this file");
    po::options_description impairment = option_group(
        "impairment (applied on the router's egress by the tc backend, or by the "
        "forwarder)");
    nm::add_impairment_options(impairment);
    options.add(impairment);
    const CommandSpec spec{
        "tcplab net up [--id N] [--dry-run] [--detach] [impairment flags...]",
        "Creates tl<N>-cli, tl<N>-rtr, tl<N>-srv joined by two veth pairs (198.18.N.0/24, "
        "198.19.N.0/24, fd7c:N:1::/64, fd7c:N:2::/64). Without --detach it stays in the foreground "
        "and removes everything on Ctrl-C / SIGTERM.",
        "examples:\n  tcplab net up --dry-run --id 7\n  tcplab net up --detach\n"
        "  tcplab net up --backend userspace --loss 10 --delay 50 --detach\n"
        "  tcplab net exec --role cli -- curl http://198.19.1.2:8080/\n  tcplab net down 1\n"};
    const auto vm = parse_command_line(spec, options, args);
    if (!vm) {
        return std::nullopt;
    }
    const auto backend = (*vm)["backend"].as<std::string>();
    if (backend != "tc" && backend != "userspace") {
        throw UsageError("--backend " + backend + ": must be tc or userspace");
    }
    NetUpFlags flags;
    flags.userspace = backend == "userspace";
    if (vm->count("ledger") != 0U) {
        if (!flags.userspace) {
            throw UsageError("--ledger: only the userspace forwarder keeps a ledger");
        }
        flags.ledger = (*vm)["ledger"].as<std::string>();
    }
    flags.lab.impairment = nm::impairment_from(*vm);
    if (vm->count("id") != 0U) {
        flags.lab.topology.run_id = (*vm)["id"].as<int>();
    }
    flags.lab.topology.kernel_forwarding = !(*vm)["no-forwarding"].as<bool>();
    flags.lab.topology.disable_offloads = !(*vm)["keep-offloads"].as<bool>();
    flags.dry_run = (*vm)["dry-run"].as<bool>();
    flags.detach = (*vm)["detach"].as<bool>();
    return flags;
}

void print_notes(const std::vector<std::string>& notes) {
    for (const auto& note : notes) std::cerr << "note: " << note << "\n";
}

int net_up(const Args& args) {
    const std::optional<NetUpFlags> flags = parse_net_up(args);
    if (!flags) {
        return kExitOk;
    }
    if (flags->userspace) {
        if (flags->dry_run) {
            throw UsageError("--dry-run: the userspace backend runs no tc commands to show");
        }
        UserspaceNetUp up;
        up.topology = flags->lab.topology;
        up.impairment = flags->lab.impairment;
        up.detach = flags->detach;
        up.ledger = flags->ledger.empty() ? std::filesystem::path()
                                          : std::filesystem::absolute(flags->ledger);
        return net_up_userspace(up, print_topology);
    }
    nm::check_impairment(flags->lab);
    if (flags->dry_run) {
        const nm::LabDryRun plan = nm::dry_run(flags->lab);
        print_notes(plan.notes);
        print_commands(plan.commands);
        return kExitOk;
    }
    const nm::TcFeatures features = nm::check_tc_here(flags->lab);
    tcplab::StopSignals signals;
    // Leftovers of killed runs go first (runs with a dead owner only; orphan namespaces are
    // left to an explicit `net down --stale`).
    for (const auto& line : nm::down_stale().removed) {
        std::cerr << "removed stale " << line << "\n";
    }
    nm::ImpairedLab lab(flags->lab, features);
    print_notes(lab.notes());
    if (flags->lab.impaired()) {
        for (const auto& line : nm::describe(flags->lab.impairment)) {
            std::cout << "impairment " << line << "\n";
        }
    }
    nm::Topology& topo = lab.topology();
    if (flags->detach) {
        topo.detach();
        print_topology(topo, true);
        return kExitOk;
    }
    print_topology(topo, false);
    while (!signals.wait_for(std::chrono::seconds(3600))) {
    }
    if (const auto stats = lab.read_stats()) {
        print_tc_stats(*stats);
    }
    std::cout << "stopping: removing run " << topo.run_id() << "\n";
    topo.down();
    std::cout << "run " << topo.run_id() << " removed\n";
    return kExitOk;
}

// `net down N` of a run whose owner still runs (a foreground or --detach `net up`, a scenario
// run): the owner is asked to stop (SIGTERM) and removes its own run. True when that left
// nothing behind; false when there is no live owner (or it left something for down_run).
bool stop_live_owner(int run_id, const nm::StaleOptions& so) {
    const auto record = nm::read_run(so.state_dir, run_id);
    if (!record || nm::run_status(*record) != nm::RunStatus::running) {
        return false;
    }
    std::cout << "run " << run_id << " is owned by live process " << record->pid
              << ": asking it to stop (SIGTERM)\n"
              << std::flush;
    ::kill(record->pid, SIGTERM);
    for (int i = 0; i < 100 && nm::owner_alive(*record); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (nm::owner_alive(*record)) {
        throw EnvironmentError("process " + std::to_string(record->pid) + " (owner of run " +
                               std::to_string(run_id) + ") did not stop within 10 s");
    }
    if (nm::read_run(so.state_dir, run_id) || nm::run_namespaces_exist(run_id)) {
        return false;  // it died without cleaning up: down_run removes the rest
    }
    std::cout << "run " << run_id << " removed by its owner\n";
    return true;
}

int net_down(const Args& args) {
    po::options_description options = option_group("net down options");
    options.add_options()("run", po::value<int>(), "run id N to remove")(
        "stale", po::bool_switch(),
        "remove every run whose owner process died, and unused orphan tl<N>-* namespaces (no "
        "state file) older than --grace")(
        "grace", po::value<long>()->default_value(nm::kDefaultOrphanGrace.count()),
        "seconds an orphan namespace must exist before --stale removes it")(
        "dry-run", po::bool_switch(), "print the commands instead of running them");
    po::positional_options_description positional;
    positional.add("run", 1);
    const CommandSpec spec{"tcplab net down N | --stale [--grace S] [--dry-run]",
                           "Removes a run's namespaces and links in reverse creation order "
                           "(`tcplab net status` shows what --stale would remove and why).",
                           ""};
    const auto vm = parse_command_line(spec, options, args, &positional);
    if (!vm) {
        return kExitOk;
    }
    const bool stale = (*vm)["stale"].as<bool>();
    if (stale == (vm->count("run") != 0U)) {
        throw UsageError("give exactly one of N or --stale\nusage: " + spec.usage);
    }
    const long grace = (*vm)["grace"].as<long>();
    if (grace < 0) {
        throw UsageError("--grace must be >= 0 seconds, got " + std::to_string(grace));
    }
    tcplab::DryRunRunner dry;
    nm::StaleOptions so;
    so.sweep_orphan_namespaces = true;
    so.orphan_grace = std::chrono::seconds(grace);
    if ((*vm)["dry-run"].as<bool>()) {
        so.runner = &dry;
    }
    if (!stale && so.runner == nullptr && stop_live_owner((*vm)["run"].as<int>(), so)) {
        return kExitOk;
    }
    const auto report = stale ? nm::down_stale(so) : nm::down_run((*vm)["run"].as<int>(), so);
    if (so.runner != nullptr) {
        print_commands(dry.commands());
    }
    print_report(report);
    return report.failures.empty() ? kExitOk : kExitEnvironment;
}

void print_run_line(const nm::RunRecord& r) {
    std::cout << "  run " << r.run_id << "  " << nm::to_string(nm::run_status(r)) << "  pid "
              << r.pid << "  created " << r.created_utc << "\n";
}

void print_orphan(const nm::OrphanNamespace& o, std::chrono::seconds grace) {
    const std::string& used_by = o.facts.used_by;
    std::cout << "  " << o.name << "  age " << o.facts.age.count() << " s  "
              << (used_by.empty() ? "unused" : "in use by " + used_by) << "  -> "
              << nm::to_string(o.action)
              << (o.action == nm::OrphanAction::keep_young
                      ? " (" + std::to_string(grace.count()) + " s)"
                      : "")
              << "\n";
}

void print_status(const nm::LabStatus& status) {
    std::cout << "state directory " << status.state_dir.string() << "\n";
    std::cout << "live runs: " << (status.live.empty() ? "none" : "") << "\n";
    for (const auto& r : status.live) {
        print_run_line(r);
        for (const auto& o : r.objects) std::cout << "      " << nm::describe(o) << "\n";
    }
    std::cout << "stale runs (owner process gone; `tcplab net down --stale` and every new run "
                 "remove them): "
              << (status.stale.empty() ? "none" : "") << "\n";
    for (const auto& r : status.stale) {
        print_run_line(r);
        for (const auto& o : nm::stale_removals(r)) std::cout << "      would remove " << o << "\n";
        std::cout << "      would remove the state file\n";
    }
    if (!status.unreadable.empty()) {
        std::cout << "unreadable state files (never removed by --stale; check, then `tcplab net "
                     "down N`):\n";
        for (const auto& r : status.unreadable) {
            print_run_line(r);
            std::cout << "      " << r.parse_error << "\n";
        }
    }
    std::cout << "orphan namespaces (tl<N>-* without a state file): "
              << (status.orphans.empty() ? "none" : "") << "\n";
    for (const auto& o : status.orphans) print_orphan(o, status.orphan_grace);
}

int net_status(const Args& args) {
    po::options_description options = option_group("net status options");
    options.add_options()("format", po::value<std::string>()->default_value("text"), "text|json")(
        "grace", po::value<long>()->default_value(nm::kDefaultOrphanGrace.count()),
        "the orphan grace period (seconds) to judge against, as for `net down --stale`");
    const CommandSpec spec{"tcplab net status [--format text|json] [--grace S]",
                           "Lists live runs, stale runs (owner process dead) and orphan tl<N>-* "
                           "namespaces (no state file), and what `net down --stale` would remove.",
                           ""};
    const auto vm = parse_command_line(spec, options, args);
    if (!vm) {
        return kExitOk;
    }
    const auto format = (*vm)["format"].as<std::string>();
    if (format != "text" && format != "json") {
        throw UsageError("--format must be text or json, got '" + format + "'");
    }
    nm::StaleOptions so;
    so.orphan_grace = std::chrono::seconds(std::max(0L, (*vm)["grace"].as<long>()));
    const nm::LabStatus status = nm::lab_status(so);
    if (format == "json") {
        std::cout << nm::to_json(status).dump(2) << "\n";
    } else {
        print_status(status);
    }
    return kExitOk;
}

int net_exec(const Args& args) {
    Args flags;
    Args command;
    bool after_dashes = false;
    for (const auto& a : args) {
        if (!after_dashes && a == "--") {
            after_dashes = true;
        } else {
            (after_dashes ? command : flags).push_back(a);
        }
    }
    po::options_description options = option_group("net exec options");
    options.add_options()("role", po::value<std::string>(), "cli | rtr | srv")(
        "id", po::value<int>(), "run id N (default: the only run that exists)");
    po::positional_options_description positional;
    positional.add("role", 1);
    const CommandSpec spec{"tcplab net exec cli|rtr|srv [--id N] -- CMD [ARGS...]",
                           "Runs CMD inside one of a run's namespaces (ip netns exec).",
                           "example:\n  tcplab net exec cli -- ping -c 3 198.19.1.2\n"};
    const auto vm = parse_command_line(spec, options, flags, &positional);
    if (!vm) {
        return kExitOk;
    }
    if (vm->count("role") == 0U || command.empty()) {
        throw UsageError("need a role and a command after --\nusage: " + spec.usage);
    }
    const auto role = nm::role_from_string((*vm)["role"].as<std::string>());
    int id = 0;
    if (vm->count("id") != 0U) {
        id = (*vm)["id"].as<int>();
    } else {
        std::set<int> ids;
        for (const auto& r : nm::list_runs(nm::default_state_dir())) ids.insert(r.run_id);
        if (ids.size() != 1) {
            throw UsageError(ids.empty() ? "no run exists (tcplab net up first)"
                                         : "several runs exist; choose one with --id N");
        }
        id = *ids.begin();
    }
    const auto ns = nm::namespace_name(id, role);
    if (::access(("/run/netns/" + ns).c_str(), F_OK) != 0) {
        throw UsageError("namespace " + ns + " does not exist (see `tcplab net status`)");
    }
    if (::geteuid() != 0) {
        throw EnvironmentError("entering a namespace needs root; run it with sudo");
    }
    std::vector<std::string> argv = {"ip", "netns", "exec", ns};
    argv.insert(argv.end(), command.begin(), command.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::cout.flush();
    ::execvp(cargv[0], cargv.data());
    throw EnvironmentError("cannot run ip netns exec: " + std::string(std::strerror(errno)));
}

}  // namespace

int run_net(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout)
            << "usage: " << kNetUsage << "\n\n"
            << "  up      create a client-router-server topology (tl<N>-cli/rtr/srv)\n"
               "  down    remove run N, or every stale run (--stale)\n"
               "  status  list runs, their objects, and stale leftovers\n"
               "  exec    run a command inside cli|rtr|srv of a run\n";
        return args.empty() ? kExitUsage : kExitOk;
    }
    const Args rest(args.begin() + 1, args.end());
    if (args[0] == "up") return net_up(rest);
    if (args[0] == "down") return net_down(rest);
    if (args[0] == "status") return net_status(rest);
    if (args[0] == "exec") return net_exec(rest);
    throw UsageError("unknown verb '" + args[0] + "'\nusage: " + kNetUsage);
}

}  // namespace tcplab::app
