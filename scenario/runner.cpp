#include "scenario/runner.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "analyzer/flags.hpp"
#include "analyzer/report.hpp"
#include "base/command.hpp"
#include "base/errors.hpp"
#include "base/stop_signal.hpp"
#include "netem/capture/capture.hpp"
#include "netem/forwarder/forwarder.hpp"
#include "netem/forwarder/frame_io.hpp"
#include "netem/impair/impairment_options.hpp"
#include "netem/impair/netem_support.hpp"
#include "netem/impair/tc_backend.hpp"
#include "netem/lab/topology.hpp"
#include "netem/vm/uml_vm.hpp"
#include "packet/tcp.hpp"
#include "scenario/checks.hpp"
#include "scenario/report.hpp"
#include "scenario/run_metrics.hpp"
#include "scenario/spec.hpp"
#include "scenario/time_sequence_svg.hpp"
#include "scenario/traffic.hpp"

namespace tcplab::scenario {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

class Progress {
public:
    explicit Progress(bool quiet) : quiet_(quiet), start_(Clock::now()) {}
    void step(const std::string& text) const {
        if (!quiet_) {
            std::fprintf(stderr, "[%5.1f s] %s\n", elapsed(), text.c_str());
        }
    }
    double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

private:
    bool quiet_;
    Clock::time_point start_;
};

std::string utc_stamp() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

std::string kernel_release() {
    utsname u{};
    ::uname(&u);
    return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

// Which backend actually runs: `tc` needs the kernel's sch_netem; `auto` falls back to userspace.
struct BackendChoice {
    std::string name;
    netem::TcFeatures features;
};

BackendChoice choose_backend(const std::string& wanted, const Progress& progress) {
    if (wanted == "userspace") {
        return {wanted, {}};
    }
    const netem::NetemSupport support = netem::detect_netem();
    if (support.available) {
        return {"tc", support.features};
    }
    if (wanted == "tc") {
        throw EnvironmentError(
            "--backend tc: this kernel has no sch_netem (" + support.reason +
            "); run it inside User-Mode Linux with --vm, or use --backend userspace");
    }
    progress.step("sch_netem is not available here (" + support.reason +
                  "): using the userspace backend (for real netem: --backend tc --vm)");
    return {"userspace", {}};
}

nlohmann::json capture_json(const fs::path& file, const netem::CaptureStats& stats) {
    return {{"file", file.filename().string()},
            {"packets", stats.written},
            {"kernel_received", stats.received},
            {"kernel_dropped", stats.dropped},
            {"interface_dropped", stats.if_dropped}};
}

// The MAC of an interface inside a namespace. The forwarder must address the neighbours by their
// own MACs from the first frame on: a TCP stack discards unicast IP sent to the broadcast MAC.
netem::MacAddress interface_mac(const std::string& netns, const std::string& interface) {
    const CommandResult r =
        system_runner().run({"ip", "-n", netns, "-j", "link", "show", "dev", interface});
    const auto doc = nlohmann::json::parse(r.out, nullptr, false);
    netem::MacAddress mac{};
    unsigned v[6] = {};
    if (doc.is_array() && !doc.empty() &&
        std::sscanf(doc[0].value("address", "").c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2],
                    &v[3], &v[4], &v[5]) == 6) {
        for (int i = 0; i < 6; ++i) {
            mac[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v[i]);
        }
        return mac;
    }
    throw SystemError("cannot read the MAC address of " + interface + " in " + netns + ": " +
                      r.out);
}

netem::CaptureOptions capture_options(const netem::Topology& topology, netem::Role role,
                                      const fs::path& file) {
    netem::CaptureOptions options;
    options.netns = topology.namespace_name(role);
    options.interface =
        role == netem::Role::client ? topology.client_interface() : topology.server_interface();
    options.file = file;
    return options;
}

nlohmann::json to_json(const netem::DirectionStats& d) {
    return {
        {"received", d.received},       {"forwarded", d.forwarded}, {"dropped", d.dropped},
        {"queue_drops", d.queue_drops}, {"delayed", d.delayed},     {"duplicated", d.duplicated},
        {"corrupted", d.corrupted},     {"reordered", d.reordered}, {"ttl_expired", d.ttl_expired}};
}

nlohmann::json to_json(const netem::ForwarderStats& s) {
    return {{"c2s", to_json(s.client_to_server)},
            {"s2c", to_json(s.server_to_client)},
            {"not_forwarded", s.not_forwarded},
            {"ledger_lines", s.ledger_lines}};
}

nlohmann::json to_json(const netem::TcDirectionStats& d) {
    return {
        {"netem_present", d.netem.present},   {"sent_packets", d.netem.sent_packets},
        {"netem_drops", d.netem.drops},       {"injected_loss", d.injected_loss},
        {"queue_drops", d.queue_drops},       {"queue_drops_separable", d.queue_drops_separable},
        {"schedule_drops", d.schedule_drops}, {"limit", d.netem.limit}};
}

nlohmann::json to_json(const netem::TcRunStats& s) {
    return {{"c2s", to_json(s.client_to_server)}, {"s2c", to_json(s.server_to_client)}};
}

nlohmann::json verdict_counts(const Vantage& v) {
    nlohmann::json counts = nlohmann::json::object();
    for (const auto& f : v.frames) {
        for (std::uint32_t bit = 1; bit != 0 && bit <= f.verdicts; bit <<= 1) {
            if ((f.verdicts & bit) != 0) {
                const std::string name(analyzer::verdict_name(bit));
                counts[name] = counts.value(name, 0) + 1;
            }
        }
    }
    return {{"tcp_frames", v.frames.size()}, {"verdicts", counts}};
}

// The time-sequence graph of the first stream carrying client data, seen from the client.
void write_time_sequence(const RunReport& report, const Vantage& client,
                         const packet::IpAddress& client_addr,
                         const std::vector<netem::LedgerEntry>& faults) {
    const std::optional<std::uint32_t> stream = main_stream(client, client_addr);
    std::optional<std::uint32_t> isn;
    std::optional<std::uint32_t> peer_isn;
    std::vector<SeqPoint> points;
    std::optional<double> t0;
    for (const auto& f : client.frames) {
        const bool from_client = f.src.address == client_addr;
        if (!stream || f.stream != *stream) {
            continue;
        }
        if (!t0) {
            t0 = f.t;
        }
        if ((f.tcp_flags & packet::tcp_flag::kSyn) != 0) {
            (from_client ? isn : peer_isn) = f.seq;
        }
        if (!isn) {
            continue;
        }
        SeqPoint p;
        p.t = f.t - *t0;
        if (from_client) {
            const bool syn_fin =
                (f.tcp_flags & (packet::tcp_flag::kSyn | packet::tcp_flag::kFin)) != 0;
            if (f.len == 0 && !syn_fin) {
                continue;
            }
            p.seq = f.seq - *isn;
            p.len = std::max<std::uint32_t>(f.len, 1);
            p.kind = flagged_as_resend(f.verdicts) ? SeqPoint::Kind::retransmission
                                                   : SeqPoint::Kind::data;
        } else if ((f.tcp_flags & packet::tcp_flag::kAck) != 0) {
            p.seq = f.ack - *isn;
            p.kind = SeqPoint::Kind::ack;
        } else {
            continue;
        }
        points.push_back(p);
    }
    if (stream && isn) {
        // Drops: placed at the time the client sent the dropped copy (first copy in its capture).
        for (const auto& fault : faults) {
            if (fault.dir != netem::Direction::client_to_server || !fault.loses_packet()) {
                continue;
            }
            const packet::PacketRecord& lost = fault.packet;
            for (const auto& f : client.frames) {
                if (f.stream == *stream && f.src == lost.src && f.seq == lost.seq &&
                    f.len == lost.len) {
                    points.push_back({f.t - *t0, static_cast<std::uint64_t>(lost.seq - *isn),
                                      lost.len, SeqPoint::Kind::drop});
                    break;
                }
            }
        }
    }
    std::ofstream(report.out_dir / "timeseq.svg")
        << time_sequence_svg(report.scenario + " — client → server, stream " +
                                 std::to_string(stream.value_or(0)) + " at the client",
                             points);
}

void write_analysis_json(const fs::path& out_dir) {
    std::FILE* file = std::fopen((out_dir / "analysis.json").c_str(), "w");
    if (file == nullptr) {
        throw SystemError("cannot write " + (out_dir / "analysis.json").string());
    }
    {
        analyzer::Output out(file);
        analyzer::json_begin_files(out);
        analyzer::AnalyzeOptions options;
        options.format = analyzer::Format::json;
        options.label_files = true;
        analyzer::analyze_file((out_dir / "client.pcap").string(), options, out);
        options.json_separator = ",";
        analyzer::analyze_file((out_dir / "server.pcap").string(), options, out);
        analyzer::json_end_files(out);
    }
    std::fclose(file);
}

RunReport run_once(const ScenarioSpec& spec, const RunOptions& options, const fs::path& out_dir) {
    const Progress progress(options.quiet);
    RunReport report;
    report.scenario = spec.name;
    report.description = spec.description;
    report.seed = spec.impairment.seed;
    report.out_dir = out_dir;
    fs::create_directories(out_dir);
    // An earlier run's results must not pass for this one's if this run is cut short (SIGKILL):
    // report.json is written last, so a killed run leaves none (captures stay *.pcap.part). A
    // killed run's work dir (half-made TLS keys) goes too: make_pki() would reuse a partial set.
    for (const char* stale : {"report.json", "report.txt", "analysis.json", "timeseq.svg"}) {
        fs::remove(out_dir / stale);
    }
    fs::remove_all(out_dir / ".work");
    progress.step("scenario " + spec.name + ": " + spec.description);

    StopSignals signals;
    netem::down_stale();
    const BackendChoice backend = choose_backend(options.backend, progress);
    report.backend = backend.name;
    const bool userspace = report.backend == "userspace";

    std::vector<TrafficOutcome> outcomes;
    netem::CaptureStats client_stats;
    netem::CaptureStats server_stats;
    const fs::path ledger_path = out_dir / "ledger.jsonl";
    fs::remove(ledger_path);
    packet::IpAddress client_address;
    {
        netem::TopologyOptions topology_options;
        topology_options.kernel_forwarding = !userspace;
        netem::Topology topology = netem::Topology::up(topology_options);
        report.run_id = topology.run_id();
        client_address =
            *packet::IpAddress::parse(spec.ipv6 ? topology.client_ipv6() : topology.client_ipv4());
        progress.step("topology tl" + std::to_string(topology.run_id()) + "-{cli,rtr,srv} up (" +
                      topology.client_ipv4() + " -> " + topology.server_ipv4() + ")");
        report.setup = {{"impairment", describe(spec.impairment)},
                        {"topology",
                         {{"run_id", topology.run_id()},
                          {"client", spec.ipv6 ? topology.client_ipv6() : topology.client_ipv4()},
                          {"server", spec.ipv6 ? topology.server_ipv6() : topology.server_ipv4()},
                          {"kernel_forwarding", !userspace}}},
                        {"kernel", kernel_release()},
                        {"tcplab", TCPLAB_VERSION_STRING}};

        std::optional<netem::Forwarder> forwarder;
        std::optional<netem::TcBackend> tc;
        if (userspace) {
            netem::ForwarderConfig config;
            config.router_netns = topology.namespace_name(netem::Role::router);
            config.client_interface = topology.router_client_interface();
            config.server_interface = topology.router_server_interface();
            config.impairment = spec.impairment;
            config.ledger_path = ledger_path;
            config.client_mac = interface_mac(topology.namespace_name(netem::Role::client),
                                              topology.client_interface());
            config.server_mac = interface_mac(topology.namespace_name(netem::Role::server),
                                              topology.server_interface());
            forwarder.emplace(config);
            forwarder->start();
        } else {
            tc.emplace(topology.run_id(), spec.impairment, backend.features);
            tc->apply();
            nlohmann::json commands = nlohmann::json::array();
            for (const auto& argv : tc->commands()) {
                commands.push_back(format_command(argv));
            }
            report.setup["commands"] = commands;
            report.setup["notes"] = tc->notes();
        }
        progress.step("impairment applied (" + report.backend + "): " + [&] {
            std::string s;
            for (const auto& kv : describe(spec.impairment)) s += (s.empty() ? "" : " ") + kv;
            return s;
        }());

        netem::Capture client_capture(
            capture_options(topology, netem::Role::client, out_dir / "client.pcap"));
        netem::Capture server_capture(
            capture_options(topology, netem::Role::server, out_dir / "server.pcap"));
        client_capture.start();
        server_capture.start();
        progress.step("capturing at the client and the server");

        TrafficContext context;
        context.topology = &topology;
        context.ipv6 = spec.ipv6;
        context.seed = spec.impairment.seed;
        context.timeout_s = spec.timeout_s;
        context.work_dir = out_dir / ".work";
        for (std::size_t i = 0; i < spec.traffic.size(); ++i) {
            throw_if_stop_requested();
            context.port = static_cast<std::uint16_t>(5001 + i);
            progress.step(
                "traffic " + std::to_string(i + 1) + "/" + std::to_string(spec.traffic.size()) +
                ": " + to_string(spec.traffic[i].kind) +
                (spec.traffic[i].bytes != 0 ? " " + std::to_string(spec.traffic[i].bytes) + " bytes"
                                            : ""));
            outcomes.push_back(run_traffic(spec.traffic[i], context));
            progress.step(std::string("  ") +
                          (outcomes.back().completed ? "completed: " : "FAILED: ") +
                          outcomes.back().detail);
        }
        fs::remove_all(context.work_dir);
        // Let the last ACKs and FINs cross the path before the captures stop.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        client_stats = client_capture.stop();
        server_stats = server_capture.stop();
        if (forwarder) {
            report.backend_stats = to_json(forwarder->stop());
        }
        if (tc) {
            report.backend_stats = to_json(tc->read_stats());
        }
        progress.step("captures stopped: client " + std::to_string(client_stats.written) +
                      ", server " + std::to_string(server_stats.written) + " packets");
    }  // topology removed here, also on an exception
    progress.step("topology removed; analyzing");

    report.captures = {{"client", capture_json(out_dir / "client.pcap", client_stats)},
                       {"server", capture_json(out_dir / "server.pcap", server_stats)}};
    const Vantage client = read_vantage(out_dir / "client.pcap");
    const Vantage server = read_vantage(out_dir / "server.pcap");
    write_analysis_json(out_dir);

    CheckInputs inputs;
    inputs.spec = &spec;
    inputs.client_address = client_address;
    inputs.client = &client;
    inputs.server = &server;
    inputs.have_ledger = userspace;
    if (userspace) {
        inputs.faults = tcp_faults(netem::read_ledger(ledger_path));
    }
    inputs.traffic = outcomes;
    report.checks = run_checks(inputs);
    for (const Vantage* v : {&client, &server}) {
        Check c;
        const netem::CaptureStats& stats = v == &client ? client_stats : server_stats;
        c.name = v == &client ? "client_capture_complete" : "server_capture_complete";
        c.expected = "no packet dropped by the capture (kernel or interface)";
        c.observed = std::to_string(stats.dropped) + " kernel drops, " +
                     std::to_string(stats.if_dropped) + " interface drops";
        c.pass = stats.dropped == 0 && stats.if_dropped == 0;
        c.reason = "pcap_stats() after the capture was drained";
        report.checks.push_back(c);
    }
    report.injected = nlohmann::json::array();
    for (const auto& f : inputs.faults) {
        report.injected.push_back(to_json(f, inputs));
    }
    report.verdicts = {{"client", verdict_counts(client)}, {"server", verdict_counts(server)}};
    report.traffic = nlohmann::json::array();
    for (const auto& t : outcomes) {
        report.traffic.push_back(t.json);
    }
    report.metrics = measure_run(client, server, client_address, report.injected, userspace);
    report.metrics.seed = report.seed;
    report.metrics.pass = report.pass();
    write_time_sequence(report, client, client_address, inputs.faults);
    report.seconds = progress.elapsed();
    write_report_files(report);
    return report;
}

fs::path default_out_dir(const std::string& name) {
    return fs::path("tcplab-runs") / (name + "-" + utc_stamp());
}

// --vm: the whole scenario (topology, real netem, traffic, captures, analysis) runs inside a
// User-Mode Linux guest; --out is a host directory mounted writable in the guest.
int run_in_guest(const RunOptions& options, const ScenarioSpec& spec) {
    if (options.backend == "userspace") {
        throw UsageError(
            "--vm is for the tc backend (real netem in the guest); drop --backend userspace");
    }
    const fs::path out = fs::absolute(options.out_dir.value_or(default_out_dir(spec.name)));
    fs::create_directories(out);
    std::vector<std::string> args = {"scenario",
                                     "run",
                                     spec.file.string(),
                                     "--backend",
                                     "tc",
                                     "--out",
                                     out.string(),
                                     "--seed",
                                     std::to_string(spec.impairment.seed),
                                     "--repeat",
                                     std::to_string(options.repeat)};
    if (options.vary_seed) {
        args.emplace_back("--vary-seed");
    }
    if (options.quiet) {
        args.emplace_back("--quiet");
    }
    netem::VmOptions vm;
    vm.rw_dirs = {out};
    vm.command = netem::self_command(args);
    vm.timeout = std::chrono::seconds(static_cast<long>(120 + spec.timeout_s * options.repeat));
    vm.env = {{"TCPLAB_REQUIRE_NETEM", "1"}};
    if (!options.quiet) {
        std::fprintf(
            stderr, "booting a User-Mode Linux guest (real sch_netem); the scenario runs inside\n");
    }
    const netem::VmResult result =
        netem::run_in_vm(vm, [](netem::VmStream stream, std::string_view text) {
            if (stream != netem::VmStream::console) {
                (stream == netem::VmStream::command_stdout ? std::cout : std::cerr)
                    << text << std::flush;
            }
        });
    if (result.timed_out) {
        throw SystemError("the User-Mode Linux guest did not finish within " +
                          std::to_string(vm.timeout.count()) + " s and was killed");
    }
    return result.exit_code;
}

}  // namespace

int run_scenario_command(const RunOptions& options) {
    ScenarioSpec spec = load_scenario(options.scenario);
    if (options.seed) {
        spec.impairment.seed = *options.seed;
    }
    if (options.vm) {
        return run_in_guest(options, spec);
    }
    if (::geteuid() != 0) {
        throw EnvironmentError(
            "scenario run needs root (network namespaces, raw sockets): run it with sudo");
    }
    const fs::path base = options.out_dir.value_or(default_out_dir(spec.name));
    if (options.repeat == 1) {
        const RunReport report = run_once(spec, options, base);
        std::cout << report_text(report);
        return report.pass() ? kExitOk : kExitCheckFailed;
    }
    // The same seed every run shows what is reproducible (the same segments dropped) and how much
    // the rest (timing, RTOs, goodput) spreads; --vary-seed makes it a sweep over seed, seed+1, ...
    int failures = 0;
    std::vector<RunMetrics> runs;
    nlohmann::json summary = nlohmann::json::array();
    for (int i = 1; i <= options.repeat; ++i) {
        ScenarioSpec round = spec;
        if (options.vary_seed) {
            round.impairment.seed = spec.impairment.seed + static_cast<std::uint64_t>(i - 1);
        }
        const RunReport report = run_once(round, options, base / ("run-" + std::to_string(i)));
        std::cout << "run " << i << "/" << options.repeat << ": " << verdict_line(report) << "\n"
                  << std::flush;
        failures += report.pass() ? 0 : 1;
        runs.push_back(report.metrics);
        summary.push_back(to_json(report.metrics));
    }
    const std::string table = statistics_table(spec.name, runs);
    std::ofstream(base / "summary.txt") << table;
    std::ofstream(base / "summary.json")
        << nlohmann::json{{"scenario", spec.name}, {"runs", summary}}.dump(2) << "\n";
    std::cout << "\n"
              << table << "\n"
              << (failures == 0 ? "PASS" : "FAIL") << " " << spec.name << ": "
              << options.repeat - failures << "/" << options.repeat << " runs passed — "
              << (base / "summary.txt").string() << "\n";
    return failures == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace tcplab::scenario
