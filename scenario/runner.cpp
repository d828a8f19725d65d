#include "scenario/runner.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "analyzer/capture_set.hpp"
#include "analyzer/flags.hpp"
#include "analyzer/path_diff.hpp"
#include "analyzer/plot_svg.hpp"
#include "analyzer/report.hpp"
#include "base/command.hpp"
#include "base/errors.hpp"
#include "base/netns.hpp"
#include "base/stop_signal.hpp"
#include "netem/capture/capture.hpp"
#include "netem/forwarder/forwarder.hpp"
#include "netem/forwarder/frame_io.hpp"
#include "netem/forwarder/lab_forwarder.hpp"
#include "netem/impair/impairment_options.hpp"
#include "netem/impair/netem_support.hpp"
#include "netem/impair/tc_backend.hpp"
#include "netem/lab/congestion_control.hpp"
#include "netem/lab/topology.hpp"
#include "packet/mac_address.hpp"
#include "packet/tcp.hpp"
#include "scenario/checks.hpp"
#include "scenario/detail/tcp_sockets.hpp"
#include "scenario/detail/traffic.hpp"
#include "scenario/detail/traffic_command.hpp"
#include "scenario/ledger_check.hpp"
#include "scenario/report.hpp"
#include "scenario/run_metrics.hpp"
#include "scenario/spec.hpp"
#include "scenario/wire_truth.hpp"

namespace tcplab::scenario {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

class Progress {
public:
    explicit Progress(ProgressSink sink) : sink_(std::move(sink)), start_(Clock::now()) {}
    void step(const std::string& text) const {
        if (sink_) {
            sink_(elapsed(), text);
        }
    }
    double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

private:
    ProgressSink sink_;
    Clock::time_point start_;
};

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
        {"corrupted", d.corrupted},     {"reordered", d.reordered}, {"ttl_expired", d.ttl_expired},
        {"ring_drops", d.ring_drops},   {"overtaken", d.overtaken}};
}

nlohmann::json to_json(const netem::ForwarderStats& s) {
    return {{"c2s", to_json(s.client_to_server)},
            {"s2c", to_json(s.server_to_client)},
            {"not_forwarded", s.not_forwarded},
            {"ledger_lines", s.ledger_lines},
            {"realtime", s.realtime}};
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
                         const std::vector<PathFault>& faults) {
    const std::optional<std::uint32_t> stream = main_stream(client, client_addr);
    std::optional<std::uint32_t> isn;
    std::optional<std::uint32_t> peer_isn;
    std::vector<analyzer::SeqPoint> points;
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
        analyzer::SeqPoint p;
        p.t = f.t - *t0;
        if (from_client) {
            const bool syn_fin =
                (f.tcp_flags & (packet::tcp_flag::kSyn | packet::tcp_flag::kFin)) != 0;
            if (f.len == 0 && !syn_fin) {
                continue;
            }
            p.seq = f.seq - *isn;
            p.len = std::max<std::uint32_t>(f.len, 1);
            p.kind = flagged_as_resend(f.verdicts) ? analyzer::SeqPoint::Kind::retransmission
                                                   : analyzer::SeqPoint::Kind::data;
        } else if ((f.tcp_flags & packet::tcp_flag::kAck) != 0) {
            p.seq = f.ack - *isn;
            p.kind = analyzer::SeqPoint::Kind::ack;
        } else {
            continue;
        }
        points.push_back(p);
    }
    if (stream && isn) {
        // Losses: placed at the time the client sent the lost copy.
        for (const auto& fault : faults) {
            if (fault.dir != packet::Direction::client_to_server || !fault.loses_packet()) {
                continue;
            }
            const packet::PacketRecord& lost = fault.packet;
            for (const auto& f : client.frames) {
                if (f.frame == fault.sent_frame && f.stream == *stream) {
                    points.push_back({f.t - *t0, static_cast<std::uint64_t>(lost.seq - *isn),
                                      lost.len, analyzer::SeqPoint::Kind::drop});
                }
            }
        }
    }
    std::ofstream(report.out_dir / "timeseq.svg")
        << analyzer::time_sequence_svg(report.scenario + " — client → server, stream " +
                                           std::to_string(stream.value_or(0)) + " at the client",
                                       points, "dropped by the path");
}

void write_analysis_json(const fs::path& out_dir) {
    const fs::path path = out_dir / "analysis.json";
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "w"),
                                                               &std::fclose);
    if (!file) {
        throw SystemError("cannot write " + path.string());
    }
    analyzer::Output out(file.get());
    analyzer::AnalyzeOptions options;
    options.format = analyzer::Format::json;
    options.label_files = true;
    options.json_separator = ",";
    analyzer::analyze_files(
        {(out_dir / "client.pcap").string(), (out_dir / "server.pcap").string()}, options, out);
}

// What one run carries from phase to phase.
struct RunState {
    RunState(const ScenarioSpec& s, const RunOptions& options)
        : spec(s), options(options), progress(options.progress), out_dir(options.out_dir) {}
    const ScenarioSpec& spec;
    const RunOptions& options;
    Progress progress;
    fs::path out_dir;
    fs::path ledger_path;
    BackendChoice backend;
    bool userspace = false;
    packet::IpAddress client_address;
    std::vector<std::string> client_addresses;  // v4 and v6: which end a packet left from
    std::vector<std::string> server_addresses;
    std::vector<TrafficOutcome> outcomes;
    netem::CaptureStats client_stats;
    netem::CaptureStats server_stats;
    std::optional<double> captures_stopped_at;  // seconds since the epoch
    std::optional<netem::ForwarderStats> forwarder_stats;
    std::optional<double> forwarder_started_at;  // seconds since the epoch
    RunReport report;
};

// The live path, from setup until the traffic is done. Members are destroyed in reverse order:
// captures, backend, then the topology (also on an exception).
struct LivePath {
    std::optional<netem::Topology> topology;
    std::optional<netem::Forwarder> forwarder;
    std::optional<netem::TcBackend> tc;
    std::optional<netem::Capture> client_capture;
    std::optional<netem::Capture> server_capture;
};

// An earlier run's results must not pass for this one's if this run is cut short (SIGKILL):
// report.json is written last, so a killed run leaves none (captures stay *.pcap.part). A killed
// run's work dir (half-made TLS keys) goes too: make_pki() would reuse a partial set.
void clear_out_dir(const fs::path& out_dir) {
    fs::create_directories(out_dir);
    for (const char* stale : {"report.json", "report.txt", "report.xml", "analysis.json",
                              "timeseq.svg", "client.log", "server.log"}) {
        fs::remove(out_dir / stale);
    }
    fs::remove_all(out_dir / ".work");
}

void begin(RunState& run) {
    run.report.scenario = run.spec.name;
    run.report.description = run.spec.description;
    run.report.seed = run.spec.impairment.seed;
    run.report.out_dir = run.out_dir;
    for (const auto& [key, value] : run.options.labels) {
        run.report.labels[key] = value;
    }
    clear_out_dir(run.out_dir);
    run.progress.step("scenario " + run.spec.name + ": " + run.spec.description);
}

// Leftovers of killed runs go first; then the backend that will actually run.
void setup(RunState& run, const RunOptions& options) {
    netem::down_stale();
    run.backend = choose_backend(options.backend, run.progress);
    run.report.backend = run.backend.name;
    run.userspace = run.report.backend == "userspace";
    run.ledger_path = run.out_dir / "ledger.jsonl";
    fs::remove(run.ledger_path);
}

void bring_up_topology(RunState& run, LivePath& path) {
    netem::TopologyOptions topology_options;
    topology_options.kernel_forwarding = !run.userspace;
    const netem::Topology& topology = path.topology.emplace(netem::Topology::up(topology_options));
    const bool ipv6 = run.spec.ipv6;
    run.report.run_id = topology.run_id();
    if (!run.spec.cc.empty()) {
        netem::set_congestion_control({topology.namespace_name(netem::Role::client),
                                       topology.namespace_name(netem::Role::server)},
                                      run.spec.cc);
    }
    run.client_address =
        *packet::IpAddress::parse(ipv6 ? topology.client_ipv6() : topology.client_ipv4());
    run.client_addresses = {topology.client_ipv4(), topology.client_ipv6()};
    run.server_addresses = {topology.server_ipv4(), topology.server_ipv6()};
    run.progress.step("topology tl" + std::to_string(topology.run_id()) + "-{cli,rtr,srv} up (" +
                      topology.client_ipv4() + " -> " + topology.server_ipv4() + ")");
    run.report.setup = {{"impairment", describe(run.spec.impairment)},
                        {"topology",
                         {{"run_id", topology.run_id()},
                          {"client", ipv6 ? topology.client_ipv6() : topology.client_ipv4()},
                          {"server", ipv6 ? topology.server_ipv6() : topology.server_ipv4()},
                          {"kernel_forwarding", !run.userspace},
                          {"path_warming", topology.path_warming()}}},
                        {"cc", run.spec.cc.empty() ? std::string("kernel default") : run.spec.cc},
                        {"kernel", kernel_release()},
                        {"tcplab", TCPLAB_VERSION_STRING}};
}

double epoch_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void start_forwarder(RunState& run, LivePath& path) {
    path.forwarder.emplace(
        netem::lab_forwarder_config(*path.topology, run.spec.impairment, run.ledger_path));
    run.forwarder_started_at = epoch_now();  // the ledger's time 0, within a few ms
    path.forwarder->start();
}

void apply_tc(RunState& run, LivePath& path) {
    netem::TcBackend& tc =
        path.tc.emplace(path.topology->run_id(), run.spec.impairment, run.backend.features);
    tc.apply();
    nlohmann::json commands = nlohmann::json::array();
    for (const auto& argv : tc.commands()) {
        commands.push_back(format_command(argv));
    }
    run.report.setup["commands"] = commands;
    run.report.setup["notes"] = tc.notes();
}

void impair(RunState& run, LivePath& path) {
    if (run.userspace) {
        start_forwarder(run, path);
    } else {
        apply_tc(run, path);
    }
    std::string keys;
    for (const auto& kv : describe(run.spec.impairment)) {
        keys += (keys.empty() ? "" : " ") + kv;
    }
    run.progress.step("impairment applied (" + run.report.backend + "): " + keys);
}

void start_captures(const RunState& run, LivePath& path) {
    path.client_capture.emplace(
        capture_options(*path.topology, netem::Role::client, run.out_dir / "client.pcap"));
    path.server_capture.emplace(
        capture_options(*path.topology, netem::Role::server, run.out_dir / "server.pcap"));
    path.client_capture->start();
    path.server_capture->start();
    run.progress.step("capturing at the client and the server");
}

std::string traffic_line(const ScenarioSpec& spec, std::size_t i) {
    const TrafficSpec& t = spec.traffic[i];
    return "traffic " + std::to_string(i + 1) + "/" + std::to_string(spec.traffic.size()) + ": " +
           to_string(t.kind) + (t.bytes != 0 ? " " + std::to_string(t.bytes) + " bytes" : "");
}

void drive_user_commands(RunState& run, const LivePath& path) {
    CommandContext context;
    context.topology = &*path.topology;
    context.out_dir = fs::absolute(run.out_dir);
    context.uid = run.options.command_uid;
    context.gid = run.options.command_gid;
    if (context.uid) {
        // The commands may write their own results into TCPLAB_OUT.
        if (::chown(context.out_dir.c_str(), *context.uid, context.gid.value_or(0)) != 0) {
            throw SystemError("cannot hand " + context.out_dir.string() + " to uid " +
                              std::to_string(*context.uid));
        }
    }
    const UserCommands& c = run.spec.commands;
    run.progress.step("your commands" +
                      (context.uid ? " (as uid " + std::to_string(*context.uid) + ")"
                                   : std::string(" (as root)")) +
                      ": server `" + (c.server.empty() ? "-" : c.server) + "`, client `" +
                      c.client + "`");
    const TrafficOutcome& outcome = run.outcomes.emplace_back(run_user_commands(c, context));
    run.progress.step(std::string("  ") + (outcome.completed ? "completed: " : "FAILED: ") +
                      outcome.detail);
}

void drive_traffic(RunState& run, const LivePath& path) {
    TrafficContext context;
    context.topology = &*path.topology;
    context.ipv6 = run.spec.ipv6;
    context.seed = run.spec.impairment.seed;
    context.timeout_s = run.spec.timeout_s;
    context.work_dir = run.out_dir / ".work";
    for (std::size_t i = 0; i < run.spec.traffic.size(); ++i) {
        throw_if_stop_requested();
        context.port = static_cast<std::uint16_t>(5001 + i);
        run.progress.step(traffic_line(run.spec, i));
        const TrafficOutcome& outcome =
            run.outcomes.emplace_back(run_traffic(run.spec.traffic[i], context));
        run.progress.step(std::string("  ") + (outcome.completed ? "completed: " : "FAILED: ") +
                          outcome.detail);
    }
    fs::remove_all(context.work_dir);
    if (!run.spec.commands.empty()) {
        drive_user_commands(run, path);
    }
}

// TCP may still re-send a lost FIN (or data) after the traffic reported done, and the captures
// must see that re-send: wait until no connection in either end's namespace has anything left to
// (re-)send — bounded, a stuck peer must not hang the run.
void wait_until_settled(const RunState& run, const netem::Topology& topology) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
        bool unsettled = false;
        for (const netem::Role role : {netem::Role::client, netem::Role::server}) {
            run_in_netns(topology.namespace_name(role), [&] {
                for (const auto& socket : tcp_sockets_here()) {
                    unsettled = unsettled || tcp_unsettled(socket);
                }
            });
        }
        if (!unsettled) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    run.progress.step("a connection still had something to re-send after 5 s; stopping anyway");
}

void stop_captures(RunState& run, LivePath& path) {
    wait_until_settled(run, *path.topology);
    // Let the last ACKs and FINs cross the path before the captures stop.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    run.captures_stopped_at = epoch_now();
    run.client_stats = path.client_capture->stop();
    run.server_stats = path.server_capture->stop();
    if (path.forwarder) {
        run.forwarder_stats = path.forwarder->stop();
        run.report.backend_stats = to_json(*run.forwarder_stats);
    }
    if (path.tc) {
        run.report.backend_stats = to_json(path.tc->read_stats());
    }
    run.progress.step("captures stopped: client " + std::to_string(run.client_stats.written) +
                      ", server " + std::to_string(run.server_stats.written) + " packets");
}

struct Vantages {
    Vantage client;
    Vantage server;
};

Vantages analyze(RunState& run) {
    run.report.captures = {{"client", capture_json(run.out_dir / "client.pcap", run.client_stats)},
                           {"server", capture_json(run.out_dir / "server.pcap", run.server_stats)}};
    Vantages v{read_vantage(run.out_dir / "client.pcap"),
               read_vantage(run.out_dir / "server.pcap")};
    write_analysis_json(run.out_dir);
    return v;
}

// Ground truth: what the path did, from the two captures on every backend; the userspace
// forwarder's ledger is checked against it.
struct Truth {
    WireTruth wire;
    CheckInputs inputs;
    std::vector<Check> checks;  // the ledger's cross-check, or why there is no wire truth
};

Truth truth(const RunState& run, const Vantages& v) {
    Truth t;
    try {
        analyzer::DiffOptions options;
        options.client_addresses = run.client_addresses;
        options.server_addresses = run.server_addresses;
        t.wire = wire_truth(analyzer::diff_captures(v.client.file, v.server.file, options),
                            run.captures_stopped_at);
    } catch (const UsageError& e) {
        t.checks.push_back({"wire_truth", "both captures read and matched packet by packet",
                            e.what(), false, "every check's ground truth comes from the wire"});
    }
    if (run.userspace && run.forwarder_stats) {
        std::optional<double> stopped_t;
        if (run.captures_stopped_at && run.forwarder_started_at) {
            stopped_t = *run.captures_stopped_at - *run.forwarder_started_at;
        }
        t.checks.push_back(ledger_matches_wire(netem::read_ledger(run.ledger_path), t.wire,
                                               *run.forwarder_stats, stopped_t));
    }
    CheckInputs& inputs = t.inputs;
    inputs.spec = &run.spec;
    inputs.client_address = run.client_address;
    for (const auto& text : run.client_addresses) {
        inputs.other_client_addresses.push_back(*packet::IpAddress::parse(text));
    }
    inputs.client = &v.client;
    inputs.server = &v.server;
    inputs.faults = tcp_faults(t.wire.faults);
    inputs.round_trip_s =
        (t.wire.c2s_delay.mean_ms.value_or(0) + t.wire.s2c_delay.mean_ms.value_or(0)) / 1e3;
    inputs.traffic = run.outcomes;
    return t;
}

// Whether the same seed makes the same fault decisions again (the SameSeed test's promise).
nlohmann::json reproducibility(const RunState& run) {
    if (run.userspace) {
        return {{"from_seed", true},
                {"why",
                 "the userspace forwarder decides each packet's fate from the seed and the "
                 "packet's identity"}};
    }
    const bool seeded = run.backend.features.netem_seed;
    return {{"from_seed", seeded},
            {"kernel", kernel_release()},
            {"why", seeded ? "netem was given the seed (kernel >= 6.7); which packets exist still "
                             "depends on TCP's timing"
                           : "this kernel's netem has no seed option (before 6.7): its own PRNG "
                             "decides, so runs with one seed differ"}};
}

Check capture_complete(const char* name, const netem::CaptureStats& stats) {
    Check c;
    c.name = name;
    c.expected = "no packet dropped by the capture (kernel or interface)";
    c.observed = std::to_string(stats.dropped) + " kernel drops, " +
                 std::to_string(stats.if_dropped) + " interface drops";
    c.pass = stats.dropped == 0 && stats.if_dropped == 0;
    c.reason = "pcap_stats() after the capture was drained";
    return c;
}

void check(RunState& run, const Truth& truth) {
    run.report.checks = run_checks(truth.inputs);
    run.report.checks.insert(run.report.checks.end(), truth.checks.begin(), truth.checks.end());
    run.report.checks.push_back(capture_complete("client_capture_complete", run.client_stats));
    run.report.checks.push_back(capture_complete("server_capture_complete", run.server_stats));
}

void write_report(RunState& run, const Truth& truth) {
    const CheckInputs& inputs = truth.inputs;
    RunReport& report = run.report;
    report.injected = nlohmann::json::array();
    for (const auto& f : truth.wire.faults) {
        const bool c2s = f.dir == packet::Direction::client_to_server;
        report.injected.push_back(to_json(f, c2s ? *inputs.client : *inputs.server));
    }
    report.wire = to_json(truth.wire);
    report.reproducibility = reproducibility(run);
    report.verdicts = {{"client", verdict_counts(*inputs.client)},
                       {"server", verdict_counts(*inputs.server)}};
    report.traffic = nlohmann::json::array();
    for (const auto& t : run.outcomes) {
        report.traffic.push_back(t.json);
    }
    report.metrics = measure_run(*inputs.client, *inputs.server, run.client_address,
                                 report.injected, report.reproducibility["from_seed"]);
    report.metrics.seed = report.seed;
    report.metrics.pass = report.pass();
    write_time_sequence(report, *inputs.client, run.client_address, inputs.faults);
    report.seconds = run.progress.elapsed();
    write_report_files(report);
}

}  // namespace

// setup -> impair -> capture -> traffic -> analyze -> truth -> checks -> report
RunReport run_scenario(const ScenarioSpec& spec, const RunOptions& options) {
    RunState run(spec, options);
    begin(run);
    StopSignals signals;
    setup(run, options);
    {
        LivePath path;
        bring_up_topology(run, path);
        impair(run, path);
        start_captures(run, path);
        drive_traffic(run, path);
        stop_captures(run, path);
    }  // topology removed here, also on an exception
    run.progress.step("topology removed; analyzing");
    const Vantages vantages = analyze(run);
    Truth path_truth = truth(run, vantages);
    check(run, path_truth);
    write_report(run, path_truth);
    return run.report;
}

RepeatSummary repeat_scenario(const ScenarioSpec& spec, const RunOptions& options,
                              const RepeatOptions& repeat) {
    RepeatSummary result;
    std::vector<RunMetrics> runs;
    nlohmann::json summary = nlohmann::json::array();
    for (int i = 1; i <= repeat.repeat; ++i) {
        ScenarioSpec round = spec;
        if (repeat.vary_seed) {
            round.impairment.seed = spec.impairment.seed + static_cast<std::uint64_t>(i - 1);
        }
        RunOptions one = options;
        one.out_dir = options.out_dir / ("run-" + std::to_string(i));
        const RunReport report = run_scenario(round, one);
        if (repeat.run_done) {
            repeat.run_done(i, report);
        }
        result.failures += report.pass() ? 0 : 1;
        runs.push_back(report.metrics);
        summary.push_back(to_json(report.metrics));
    }
    result.runs = repeat.repeat;
    result.table = statistics_table(spec.name, runs);
    result.summary_file = options.out_dir / "summary.txt";
    std::ofstream(result.summary_file) << result.table;
    std::ofstream(options.out_dir / "summary.json")
        << nlohmann::json{{"scenario", spec.name}, {"runs", summary}}.dump(2) << "\n";
    return result;
}

}  // namespace tcplab::scenario
