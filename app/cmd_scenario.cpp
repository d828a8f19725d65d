// tcplab scenario list | keys | run NAME|FILE [--out DIR] [--seed N] [--backend auto|tc|userspace]
// [--vm]
// [--repeat N [--vary-seed]]
//                 | compare RUN_DIR_A RUN_DIR_B
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "app/cli.hpp"
#include "base/errors.hpp"
#include "base/text_wrap.hpp"
#include "base/utc_time.hpp"
#include "netem/vm/uml_vm.hpp"
#include "scenario/backend_compare.hpp"
#include "scenario/runner.hpp"
#include "scenario/spec.hpp"

namespace tcplab::app {

namespace {

namespace fs = std::filesystem;

struct RunFlags {
    std::string scenario;                // NAME or FILE.ini; empty: the scenario is all flags
    std::vector<std::string> key_flags;  // scenario keys given as flags ("--loss", "10", ...)
    bool as_root = false;                // run the user's commands as root
    std::vector<std::string> labels;     // KEY=VALUE, into report.json
    std::optional<fs::path> out_dir;
    std::optional<std::uint64_t> seed;  // overrides the file's seed
    std::string backend = "auto";       // auto | tc | userspace
    bool vm = false;                    // run inside User-Mode Linux
    int repeat = 1;
    bool vary_seed = false;
    bool quiet = false;
};

fs::path out_dir(const RunFlags& flags, const scenario::ScenarioSpec& spec) {
    return flags.out_dir.value_or(fs::path("tcplab-runs") /
                                  (spec.name + "-" + utc_now("%Y%m%d-%H%M%S")));
}

// The command line that runs the same scenario inside the guest, into the mounted `out`.
std::vector<std::string> guest_args(const RunFlags& flags, const scenario::ScenarioSpec& spec,
                                    const fs::path& out) {
    std::vector<std::string> args = {
        "scenario",
        "run",
        spec.file.empty() ? std::string() : fs::absolute(spec.file).string(),
        "--backend",
        "tc",
        "--out",
        out.string(),
        "--seed",
        std::to_string(spec.impairment.seed),
        "--repeat",
        std::to_string(flags.repeat)};
    if (flags.vary_seed) {
        args.emplace_back("--vary-seed");
    }
    if (flags.quiet) {
        args.emplace_back("--quiet");
    }
    if (flags.as_root) {
        args.emplace_back("--as-root");
    }
    for (const auto& label : flags.labels) {
        args.emplace_back("--label");
        args.emplace_back(label);
    }
    if (args[2].empty()) {
        args.erase(args.begin() + 2);
    }
    args.insert(args.end(), flags.key_flags.begin(), flags.key_flags.end());
    return args;
}

// --vm: the whole scenario (topology, real netem, traffic, captures, analysis) runs inside a
// User-Mode Linux guest; --out is a host directory mounted writable in the guest.
int run_in_guest(const RunFlags& flags, const scenario::ScenarioSpec& spec) {
    if (flags.backend == "userspace") {
        throw UsageError(
            "--vm is for the tc backend (real netem in the guest); drop --backend userspace");
    }
    const fs::path out = fs::absolute(out_dir(flags, spec));
    fs::create_directories(out);
    netem::VmOptions vm;
    vm.rw_dirs = {out};
    // The guest's /tmp and /root are fresh tmpfs: a checkout there (a CI clone, root's home) is
    // shown read-only — the scenario file's directory, and with user commands the current
    // directory (their working directory); run_in_vm shares the binary's itself.
    std::vector<fs::path> needed;
    if (!spec.file.empty()) {  // empty: a scenario of flags alone
        needed.push_back(fs::absolute(spec.file));
    }
    if (!spec.commands.empty()) {  // the user's commands may name programs below the cwd
        vm.working_dir = fs::current_path();
        needed.push_back(vm.working_dir);
    }
    vm.ro_dirs = netem::dirs_to_share(needed, vm.rw_dirs);
    vm.command = netem::self_command(guest_args(flags, spec, out));
    vm.timeout = std::chrono::seconds(static_cast<long>(120 + spec.timeout_s * flags.repeat));
    vm.env = {{"TCPLAB_REQUIRE_NETEM", "1"}};
    for (const char* who : {"SUDO_UID", "SUDO_GID"}) {  // the user's commands run as that user
        if (const char* v = std::getenv(who); v != nullptr) {
            vm.env.emplace_back(who, v);
        }
    }
    if (!flags.quiet) {
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

// Fault-injection hook for tests/integration/faults: with TCPLAB_HOLD_AFTER_PROGRESS=TEXT the run
// pauses for a second after printing a progress line that contains TEXT, so a SIGKILL aimed at the
// phase that starts there lands inside it however fast the machine is (the analysis phase takes
// ~12 ms: a kill timed from outside could miss it). Unset, it costs nothing.
void hold_if_asked(const std::string& text) {
    static const char* marker = std::getenv("TCPLAB_HOLD_AFTER_PROGRESS");
    if (marker != nullptr && *marker != '\0' && text.find(marker) != std::string::npos) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

void print_progress(double elapsed_s, const std::string& text) {
    std::fprintf(stderr, "[%5.1f s] %s\n", elapsed_s, text.c_str());
    hold_if_asked(text);
}

// The user's commands run as the user who invoked sudo, never as root unless --as-root: a
// program under test gets no more rights than its author has.
void set_command_user(const RunFlags& flags, const scenario::ScenarioSpec& spec,
                      scenario::RunOptions& options) {
    if (spec.commands.empty() || flags.as_root) {
        return;
    }
    auto id_from = [](const char* name) -> std::optional<unsigned> {
        const char* v = std::getenv(name);
        if (v == nullptr || *v == '\0') {
            return std::nullopt;
        }
        char* end = nullptr;
        const unsigned long n = std::strtoul(v, &end, 10);
        if (*end != '\0' || n > 0xfffffffeUL) {
            throw UsageError(std::string(name) + "=" + v + " is not a user or group id");
        }
        return static_cast<unsigned>(n);
    };
    const auto uid = id_from("SUDO_UID");
    const auto gid = id_from("SUDO_GID");
    constexpr unsigned kNobody = 65534;
    options.command_uid = uid.value_or(kNobody);
    options.command_gid = gid.value_or(uid ? *uid : kNobody);
    if (!uid && !flags.quiet) {
        std::fprintf(stderr,
                     "your commands run as nobody (uid 65534): no SUDO_UID says who invoked "
                     "sudo (--as-root runs them as root)\n");
    }
}

int run_here(const RunFlags& flags, const scenario::ScenarioSpec& spec) {
    if (::geteuid() != 0) {
        throw EnvironmentError(
            "scenario run needs root (network namespaces, raw sockets): run it with sudo");
    }
    scenario::RunOptions options;
    options.out_dir = out_dir(flags, spec);
    options.backend = flags.backend;
    set_command_user(flags, spec, options);
    for (const auto& label : flags.labels) {
        const auto eq = label.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw UsageError("--label " + label + ": want KEY=VALUE");
        }
        options.labels.emplace_back(label.substr(0, eq), label.substr(eq + 1));
    }
    if (!flags.quiet) {
        options.progress = print_progress;
    }
    if (flags.repeat == 1) {
        const scenario::RunReport report = scenario::run_scenario(spec, options);
        std::cout << scenario::report_text(report);
        return report.pass() ? kExitOk : kExitCheckFailed;
    }
    scenario::RepeatOptions repeat;
    repeat.repeat = flags.repeat;
    repeat.vary_seed = flags.vary_seed;
    repeat.run_done = [&flags](int i, const scenario::RunReport& report) {
        std::cout << "run " << i << "/" << flags.repeat << ": " << scenario::verdict_line(report)
                  << "\n"
                  << std::flush;
    };
    const scenario::RepeatSummary summary = scenario::repeat_scenario(spec, options, repeat);
    std::cout << "\n"
              << summary.table << "\n"
              << (summary.pass() ? "PASS" : "FAIL") << " " << spec.name << ": "
              << summary.runs - summary.failures << "/" << summary.runs << " runs passed — "
              << summary.summary_file.string() << "\n";
    return summary.pass() ? kExitOk : kExitCheckFailed;
}

int list_command(const Args& args) {
    const CommandSpec spec{"tcplab scenario list",
                           "Lists the shipped scenarios (" +
                               scenario::scenario_directory().string() + ") with one line each.",
                           ""};
    if (!parse_command_line(spec, option_group("options"), args)) {
        return kExitOk;
    }
    for (const auto& scenario : scenario::list_scenarios()) {
        std::cout << std::left << std::setw(19) << scenario.name << scenario.description << "\n";
    }
    return kExitOk;
}

// Like parse_command_line, but every scenario key is a flag too: those go to `key_flags` (as
// typed) for load_scenario, which lets them override the file's keys; --help lists them all.
std::optional<po::variables_map> parse_run_command_line(
    const CommandSpec& spec, po::options_description& options, const Args& args,
    const po::positional_options_description& positional, std::vector<std::string>& key_flags) {
    options.add_options()("help,h", "show this help and exit");
    po::options_description keys =
        option_group("scenario keys (also as flags; a flag overrides the file)");
    for (const auto& key : scenario::scenario_key_options().options()) {
        if (options.find_nothrow(key->long_name(), false) == nullptr) {
            keys.add(key);
        }
    }
    po::options_description all = option_group("");
    all.add(options).add(keys);
    return store_parsed(spec, all, [&] {
        po::parsed_options parsed = po::command_line_parser(args)
                                        .options(all)
                                        .positional(positional)
                                        .style(po::command_line_style::default_style &
                                               ~po::command_line_style::allow_guessing)
                                        .run();
        std::erase_if(parsed.options, [&](const po::option& o) {
            const bool key = keys.find_nothrow(o.string_key, false) != nullptr;
            if (key) {
                key_flags.insert(key_flags.end(), o.original_tokens.begin(),
                                 o.original_tokens.end());
            }
            return key;
        });
        return parsed;
    });
}

int keys_command(const Args& args) {
    const CommandSpec spec{
        "tcplab scenario keys",
        "Lists every key a scenario file takes (`key = value`), with what it takes and what it\n"
        "means. An impairment key (loss and below) applies to both directions; c2s.KEY or "
        "s2c.KEY,\n"
        "or the key inside a [c2s] or [s2c] section, to one. Impairment keys are also `tcplab net\n"
        "up` flags (--loss=10).",
        ""};
    if (!parse_command_line(spec, option_group("options"), args)) {
        return kExitOk;
    }
    std::cout << wrap_text(spec.description, kHelpWidth) << "\n\n";
    for (const auto& key : scenario::scenario_keys()) {
        std::ostringstream name;
        name << "  " << std::left << std::setw(24) << key.name;
        std::cout << wrap_text(name.str() + key.values, kHelpWidth, 24) << "\n"
                  << wrap_text(std::string(26, ' ') + key.meaning, kHelpWidth) << "\n";
    }
    return kExitOk;
}

int run_command(const Args& args) {
    const CommandSpec spec{
        "tcplab scenario run [NAME|FILE.ini] [options] [--KEY VALUE...]   (needs root)",
        "Builds the client-router-server namespaces, impairs the path, runs the scenario's\n"
        "traffic (or your --server/--client), captures at both ends, analyzes both captures and\n"
        "checks the verdicts against what the two captures show the path did. Writes client.pcap,\n"
        "server.pcap, ledger.jsonl, analysis.json,\n"
        "report.json, report.txt, report.xml (JUnit) and timeseq.svg to --out. Exit 0 iff every\n"
        "check passed, 1 if a check failed, 2 bad usage or scenario file, 3 environment (not "
        "root,\n"
        "tool missing).",
        "examples:\n  sudo tcplab scenario run loss10\n  sudo tcplab scenario run synloss --seed 7 "
        "--out /tmp/syn\n"
        "  sudo tcplab scenario run my.ini --repeat 5\n  sudo tcplab scenario run loss10 --backend "
        "tc --vm\n"
        "  sudo tcplab scenario run loss10 --c2s.delay 50     (a file's key overridden)\n"
        "  sudo tcplab scenario run --loss 10 --server 'python3 -m http.server 8080' \\\n"
        "      --client 'curl -sf http://$TCPLAB_SERVER_ADDR:8080/ >/dev/null'\n"
        "every key with its values and meaning: tcplab scenario keys"};
    po::options_description options = option_group("options");
    RunFlags run;
    std::string out;
    options.add_options()("scenario", po::value<std::string>(&run.scenario),
                          "scenario name or .ini file (optional when --client or --traffic is "
                          "given)")("out", po::value<std::string>(&out),
                                    "output directory (default ./tcplab-runs/NAME-TIMESTAMP)")(
        "seed", po::value<std::uint64_t>(), "override the scenario's seed")(
        "backend",
        po::value<std::string>(&run.backend)
            ->default_value(std::getenv("TCPLAB_BACKEND") != nullptr ? std::getenv("TCPLAB_BACKEND")
                                                                     : "auto"),
        "impairment backend: auto (tc if the kernel has sch_netem, else userspace), tc, userspace; "
        "$TCPLAB_BACKEND sets the default (CI runs the suite with each)")(
        "vm", po::bool_switch(&run.vm),
        "run the whole scenario inside a User-Mode Linux guest (real netem)")(
        "repeat", po::value<int>(&run.repeat)->default_value(1),
        "run N times with the same seed: a table of retransmissions, RTOs, handshake time and "
        "goodput "
        "(min/median/max/sd), and whether every run dropped the same segments (out dir: run-1..N, "
        "summary.txt)")("vary-seed", po::bool_switch(&run.vary_seed),
                        "with --repeat: use seed, seed+1, ... (a sweep, not a replay)")(
        "quiet,q", po::bool_switch(&run.quiet), "no progress lines, only the final result")(
        "as-root", po::bool_switch(&run.as_root),
        "run --server/--client as root (default: as the user who invoked sudo)")(
        "label", po::value<std::vector<std::string>>(&run.labels),
        "KEY=VALUE recorded in report.json's labels (repeatable; experiments name the cell)");
    po::positional_options_description positional;
    positional.add("scenario", 1);
    const auto vm = parse_run_command_line(spec, options, args, positional, run.key_flags);
    if (!vm) {
        return kExitOk;
    }
    if (vm->count("seed") != 0U) {
        run.seed = (*vm)["seed"].as<std::uint64_t>();
    }
    if (!out.empty()) {
        run.out_dir = out;
    }
    if (run.backend != "auto" && run.backend != "tc" && run.backend != "userspace") {
        throw UsageError("--backend " + run.backend + ": must be auto, tc or userspace");
    }
    if (run.repeat < 1 || run.repeat > 1000) {
        throw UsageError("--repeat must be between 1 and 1000");
    }
    if (run.scenario.empty() && run.key_flags.empty()) {
        throw UsageError(
            "scenario run: give a scenario NAME or FILE.ini, or its keys as flags "
            "(e.g. --loss 10 --client CMD)\nusage: " +
            spec.usage + "  (see --help)");
    }
    scenario::ScenarioSpec scenario = scenario::load_scenario(run.scenario, run.key_flags);
    if (run.seed) {
        scenario.impairment.seed = *run.seed;
    }
    return run.vm ? run_in_guest(run, scenario) : run_here(run, scenario);
}

int compare_command(const Args& args) {
    const CommandSpec spec{
        "tcplab scenario compare RUN_DIR_A RUN_DIR_B",
        "Compares two runs of one scenario, typically the same seed on two backends (e.g. "
        "--backend tc\n"
        "--vm and --backend userspace). From each run's two captures (the dual-vantage diff): "
        "loss\n"
        "rates per direction must agree within a two-proportion test at 99.9% (independent loss "
        "only),\n"
        "mean one-way delays within max(5 ms, 10%) when a delay is configured, and both runs must "
        "have\n"
        "passed their own checks.\n"
        "Prints a Markdown table. Exit 0 if they agree, 1 if not, 2 if a directory is not a run.",
        "example:\n  sudo tcplab scenario run loss10 --backend tc --vm --out /tmp/tc\n"
        "  sudo tcplab scenario run loss10 --backend userspace --out /tmp/us\n"
        "  tcplab scenario compare /tmp/tc /tmp/us"};
    po::options_description options = option_group("options");
    std::string a;
    std::string b;
    options.add_options()("run-a", po::value<std::string>(&a)->required(),
                          "first run's --out directory")(
        "run-b", po::value<std::string>(&b)->required(), "second run's --out directory");
    po::positional_options_description positional;
    positional.add("run-a", 1).add("run-b", 1);
    if (!parse_command_line(spec, options, args, &positional)) {
        return kExitOk;
    }
    const scenario::BackendComparison comparison = scenario::compare_runs(a, b);
    std::cout << scenario::render_comparison(comparison);
    return comparison.pass() ? kExitOk : kExitCheckFailed;
}

}  // namespace

int run_scenario(const Args& args) {
    const std::string usage =
        "usage: tcplab scenario list | keys | run NAME|FILE.ini [--out DIR] [--seed N] "
        "[--backend auto|tc|userspace] [--vm] [--repeat N [--vary-seed]] | compare RUN_A RUN_B\n";
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout)
            << usage << "\n  list   the shipped scenarios with one line each\n"
            << "  run    run one (see tcplab scenario run --help)\n"
            << "  keys   every scenario file key with its values and meaning\n"
            << "  compare  two runs of one scenario, e.g. tc vs userspace backend (see --help)\n";
        return args.empty() ? kExitUsage : kExitOk;
    }
    const Args rest(args.begin() + 1, args.end());
    if (args[0] == "list") {
        return list_command(rest);
    }
    if (args[0] == "run") {
        return run_command(rest);
    }
    if (args[0] == "keys") {
        return keys_command(rest);
    }
    if (args[0] == "compare") {
        return compare_command(rest);
    }
    throw UsageError("unknown scenario command '" + args[0] + "'\n" + usage);
}

}  // namespace tcplab::app
