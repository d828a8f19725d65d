// tcplab experiment run FILE.ini [--out DIR] [--jobs N] [--shard I/N] [--resume] [--allow-fail]
//                    | merge DIR... --out DIR
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/cli.hpp"
#include "base/errors.hpp"
#include "base/utc_time.hpp"
#include "experiment/runner.hpp"

namespace tcplab::app {

namespace {

namespace fs = std::filesystem;

void print_experiment_progress(const experiment::Progress& p) {
    const experiment::RunResult* r = p.last;
    std::string cell;
    for (const auto& [key, value] : r->run.cell) {
        cell += key + "=" + value + " ";
    }
    std::fprintf(stderr, "[%zu/%zu] %s%s seed %llu: %s   (%zu failed so far, ETA %.0f s)\n", p.done,
                 p.total, p.skipped > 0 && !r->finished ? "" : "", cell.c_str(),
                 static_cast<unsigned long long>(r->run.seed),
                 !r->finished ? "did not finish (see its run.log)"
                 : r->pass    ? "PASS"
                              : "FAIL",
                 p.failed, p.eta_s);
}

void print_experiment_outcome(const experiment::Outcome& outcome, const fs::path& dir) {
    for (const auto& r : outcome.results) {
        if (!r.pass) {
            std::cout << "failed: " << r.run.dir << " ("
                      << (dir / r.run.dir / "report.txt").string() << ")\n";
        }
    }
    std::cout << outcome.results.size() - outcome.failed << "/" << outcome.results.size()
              << " runs passed — " << (dir / "results.csv").string() << ", "
              << (dir / "summary.csv").string() << ", " << (dir / "index.html").string() << "\n";
}

int experiment_run_command(const Args& args) {
    const CommandSpec spec{
        "tcplab experiment run FILE.ini [--out DIR] [--jobs N] [--shard I/N] [--resume]   (needs "
        "root)",
        "Runs a parameter sweep: FILE is a scenario file plus `vary.KEY = v1, v2, ...` lines (any\n"
        "scenario key, e.g. vary.loss, vary.cc, vary.c2s.delay) and `seeds = 1-10` (or a list).\n"
        "Each (cell, seed) is one `tcplab scenario run` in its own topology, --jobs at once. "
        "Writes\n"
        "DIR/<cell>/seed-N/ (report.json, captures), results.csv (a row per run), summary.csv (a "
        "row\n"
        "per cell: n, mean, median, sd, 95% CI) and index.html (plots). Exit 0 iff every run "
        "passed\n"
        "(--allow-fail: 0 anyway). --shard I/N runs a deterministic 1/N of the runs (one job of a\n"
        "CI matrix or a Slurm array); `experiment merge` combines the shards.",
        "examples:\n  sudo tcplab experiment run sweep.ini --out runs/sweep --jobs 2\n"
        "  sudo tcplab experiment run sweep.ini --out shard-1 --shard 1/4\n"
        "  tcplab experiment merge shard-* --out runs/sweep"};
    po::options_description options("options");
    std::string file, out, shard = "1/1", backend = "auto";
    int jobs = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    bool resume = false, allow_fail = false;
    options.add_options()("file", po::value<std::string>(&file)->required(), "experiment .ini")(
        "out", po::value<std::string>(&out),
        "output directory (default tcplab-runs/NAME-TIMESTAMP)")(
        "jobs,j", po::value<int>(&jobs), "runs at once (default: the number of cores)")(
        "shard", po::value<std::string>(&shard), "I/N: run only shard I of N")(
        "resume", po::bool_switch(&resume), "skip runs whose report.json is complete")(
        "backend", po::value<std::string>(&backend), "auto | tc | userspace (as scenario run)")(
        "allow-fail", po::bool_switch(&allow_fail), "exit 0 even when runs failed");
    po::positional_options_description positional;
    positional.add("file", 1);
    if (!parse_command_line(spec, options, args, &positional)) {
        return kExitOk;
    }
    if (::geteuid() != 0) {
        throw EnvironmentError("experiment run needs root (each run creates namespaces): sudo");
    }
    const experiment::ExperimentSpec exp = experiment::load_experiment(file);
    experiment::RunOptions o;
    o.out_dir = out.empty() ? fs::path("tcplab-runs") / (exp.name + "-" + utc_now("%Y%m%d-%H%M%S"))
                            : fs::path(out);
    // Every run executes this very binary through the kernel's link to it, not the path it came
    // from: a rebuild during a long sweep replaces the file (a linker writing it fails the exec
    // with "Permission denied"), and one experiment must not mix two versions of the analyzer.
    o.binary = "/proc/" + std::to_string(::getpid()) + "/exe";
    o.backend = backend;
    o.jobs = jobs;
    std::tie(o.shard, o.shards) = experiment::parse_shard(shard);
    o.resume = resume;
    o.progress = print_experiment_progress;
    const auto planned = experiment::shard_of(experiment::plan_runs(exp), o.shard, o.shards);
    std::fprintf(stderr, "experiment %s: %zu runs%s, %d at once, into %s\n", exp.name.c_str(),
                 planned.size(), o.shards > 1 ? (" (shard " + shard + ")").c_str() : "", o.jobs,
                 o.out_dir.string().c_str());
    const experiment::Outcome outcome = experiment::run_experiment(exp, o);
    print_experiment_outcome(outcome, o.out_dir);
    return outcome.failed == 0 || allow_fail ? kExitOk : kExitCheckFailed;
}

int experiment_merge_command(const Args& args) {
    const CommandSpec spec{"tcplab experiment merge DIR... --out DIR",
                           "Combines the directories of an experiment's shards (each from "
                           "`experiment run --shard I/N` of the same file) into one: every run\n"
                           "directory, results.csv, summary.csv and index.html, as one unsharded "
                           "run would have written them.",
                           ""};
    po::options_description options("options");
    std::vector<std::string> dirs;
    std::string out;
    options.add_options()("dirs", po::value<std::vector<std::string>>(&dirs)->required(),
                          "shard directories")("out", po::value<std::string>(&out)->required(),
                                               "the merged directory");
    po::positional_options_description positional;
    positional.add("dirs", -1);
    if (!parse_command_line(spec, options, args, &positional)) {
        return kExitOk;
    }
    std::vector<fs::path> paths(dirs.begin(), dirs.end());
    const experiment::Outcome outcome = experiment::merge_experiments(paths, out);
    print_experiment_outcome(outcome, out);
    return outcome.failed == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace

int run_experiment(const Args& args) {
    const std::string usage =
        "tcplab experiment run FILE.ini [options] | merge DIR... --out DIR   (--help on each)";
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
        std::cout << "usage: " << usage << "\n";
        return args.empty() ? kExitUsage : kExitOk;
    }
    const Args rest(args.begin() + 1, args.end());
    if (args[0] == "run") {
        return experiment_run_command(rest);
    }
    if (args[0] == "merge") {
        return experiment_merge_command(rest);
    }
    throw UsageError("unknown experiment command '" + args[0] + "'\nusage: " + usage);
}

}  // namespace tcplab::app
