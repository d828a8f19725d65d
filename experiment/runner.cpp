#include "experiment/runner.hpp"

#include <chrono>
#include <deque>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/child_process.hpp"
#include "base/command.hpp"
#include "base/errors.hpp"
#include "base/hash.hpp"
#include "base/stop_signal.hpp"
#include "experiment/html_report.hpp"

namespace tcplab::experiment {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
        throw SystemError("cannot write " + path.string());
    }
}

// Identifies the experiment a directory belongs to: merge refuses to mix two.
std::string fingerprint(const ExperimentSpec& spec) {
    std::string text;  // the scenario's non-blank lines: a re-written experiment.ini matches
    std::istringstream lines(spec.scenario_text);
    for (std::string line; std::getline(lines, line);) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) {
            text += line + "\n";
        }
    }
    for (const auto& v : spec.vary) {
        text += v.key;
        for (const auto& value : v.values) {
            text += "\x1f" + value;
        }
    }
    for (const auto seed : spec.seeds) {
        text += "\x1e" + std::to_string(seed);
    }
    const auto h = hash_bytes({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    return std::to_string(h);
}

std::string experiment_text(const ExperimentSpec& spec) {
    std::string text = spec.scenario_text;
    for (const auto& v : spec.vary) {
        text += "vary." + v.key + " =";
        for (std::size_t i = 0; i < v.values.size(); ++i) {
            text += (i == 0 ? " " : ", ") + v.values[i];
        }
        text += "\n";
    }
    text += "seeds =";
    for (std::size_t i = 0; i < spec.seeds.size(); ++i) {
        text += (i == 0 ? " " : ", ") + std::to_string(spec.seeds[i]);
    }
    return text + "\n";
}

void write_tables(const ExperimentSpec& spec, const fs::path& dir,
                  const std::vector<RunResult>& results) {
    const auto cells = summarize(results);
    write_file(dir / "results.csv", results_csv(spec, results));
    write_file(dir / "summary.csv", summary_csv(spec, cells));
    write_file(dir / "index.html", html_report(spec, results, cells));
    if (const std::string svg = goodput_svg(spec, cells); !svg.empty()) {
        write_file(dir / "goodput.svg", svg);
    }
}

// The experiment file and its plan, so a merge (on another machine) knows what it combines.
void write_plan(const ExperimentSpec& spec, const RunOptions& o,
                const std::vector<PlannedRun>& runs) {
    write_file(o.out_dir / "experiment.ini", experiment_text(spec));
    write_file(o.out_dir / (spec.name + ".ini"), spec.scenario_text);
    nlohmann::json plan = {{"name", spec.name},
                           {"fingerprint", fingerprint(spec)},
                           {"shard", o.shard},
                           {"shards", o.shards},
                           {"runs", nlohmann::json::array()}};
    for (const auto& r : runs) {
        plan["runs"].push_back(r.dir);
    }
    write_file(o.out_dir / "plan.json", plan.dump(2) + "\n");
}

std::unique_ptr<ChildProcess> launch(const ExperimentSpec& spec, const RunOptions& o,
                                     const PlannedRun& run) {
    const fs::path dir = o.out_dir / run.dir;
    fs::create_directories(dir);
    Argv argv = {
        o.binary.string(), "scenario",   "run",     (o.out_dir / (spec.name + ".ini")).string(),
        "--out",           dir.string(), "--quiet", "--backend",
        o.backend};
    for (const auto& flag : run.flags()) {
        argv.push_back(flag);
    }
    argv.push_back("--label");
    argv.push_back("seed=" + std::to_string(run.seed));
    for (const auto& [key, value] : run.cell) {
        argv.push_back("--label");
        argv.push_back(key + "=" + value);
    }
    ChildOptions c;
    c.command = format_command(argv);
    c.log = dir / "run.log";
    fs::remove(c.log);
    return std::make_unique<ChildProcess>(c);
}

struct Running {
    PlannedRun run;
    std::unique_ptr<ChildProcess> child;
};

}  // namespace

Outcome run_experiment(const ExperimentSpec& spec, const RunOptions& o) {
    if (o.jobs < 1 || o.jobs > 64) {
        throw UsageError("--jobs must be 1..64");
    }
    const std::vector<PlannedRun> runs = shard_of(plan_runs(spec), o.shard, o.shards);
    fs::create_directories(o.out_dir);
    write_plan(spec, o, runs);
    StopSignals signals;
    Outcome outcome;
    Progress progress;
    progress.total = runs.size();
    std::deque<PlannedRun> pending(runs.begin(), runs.end());
    std::vector<Running> running;
    const auto start = Clock::now();
    std::size_t launched = 0;
    auto finish = [&](const PlannedRun& run) {
        outcome.results.push_back(read_result(o.out_dir, run));
        const RunResult& r = outcome.results.back();
        outcome.failed += r.pass ? 0 : 1;
        ++progress.done;
        progress.failed = outcome.failed;
        const double per_run = launched > 0
                                   ? std::chrono::duration<double>(Clock::now() - start).count() /
                                         static_cast<double>(progress.done - progress.skipped)
                                   : 0;
        progress.eta_s = per_run * static_cast<double>(progress.total - progress.done) /
                         static_cast<double>(o.jobs);
        progress.last = &r;
        if (o.progress) {
            o.progress(progress);
        }
    };
    while (!pending.empty() || !running.empty()) {
        if (stop_requested()) {
            throw EnvironmentError("stopped by a signal after " + std::to_string(progress.done) +
                                   " of " + std::to_string(progress.total) +
                                   " runs (--resume continues)");
        }
        while (!pending.empty() && running.size() < static_cast<std::size_t>(o.jobs)) {
            PlannedRun run = pending.front();
            pending.pop_front();
            if (o.resume && read_result(o.out_dir, run).finished) {
                ++progress.skipped;
                finish(run);
                continue;
            }
            running.push_back({run, launch(spec, o, run)});
            ++launched;
        }
        for (auto it = running.begin(); it != running.end();) {
            if (it->child->wait_for(std::chrono::milliseconds(0))) {
                finish(it->run);
                it = running.erase(it);
            } else {
                ++it;
            }
        }
        (void)signals.wait_for(std::chrono::milliseconds(100));
    }
    std::sort(outcome.results.begin(), outcome.results.end(),
              [](const RunResult& a, const RunResult& b) { return a.run.index < b.run.index; });
    write_tables(spec, o.out_dir, outcome.results);
    return outcome;
}

Outcome merge_experiments(const std::vector<fs::path>& shard_dirs, const fs::path& out_dir) {
    if (shard_dirs.empty()) {
        throw UsageError("experiment merge: no shard directories given");
    }
    ExperimentSpec spec = load_experiment(shard_dirs.front() / "experiment.ini");
    const std::string want = fingerprint(spec);
    {
        std::ifstream in(shard_dirs.front() / "plan.json");
        const auto plan = nlohmann::json::parse(in, nullptr, false);
        if (plan.is_object()) {
            spec.name = plan.value("name", spec.name);  // the file's own name, not experiment.ini
        }
    }
    Outcome outcome;
    fs::create_directories(out_dir);
    for (const auto& run : plan_runs(spec)) {
        const fs::path* from = nullptr;
        for (const auto& dir : shard_dirs) {
            std::ifstream in(dir / "plan.json");
            const auto plan = nlohmann::json::parse(in, nullptr, false);
            if (!plan.is_object() || plan.value("fingerprint", "") != want) {
                throw UsageError(dir.string() + " is not a shard of the same experiment as " +
                                 shard_dirs.front().string() + " (plan.json differs)");
            }
            if (read_result(dir, run).finished) {
                from = &dir;
                break;
            }
        }
        if (from == nullptr) {
            throw UsageError("run " + run.dir + " is in none of the shards (missing a shard?)");
        }
        if (fs::absolute(*from) != fs::absolute(out_dir)) {
            fs::remove_all(out_dir / run.dir);
            fs::create_directories((out_dir / run.dir).parent_path());
            fs::copy(*from / run.dir, out_dir / run.dir, fs::copy_options::recursive);
        }
        outcome.results.push_back(read_result(out_dir, run));
        outcome.failed += outcome.results.back().pass ? 0 : 1;
    }
    RunOptions o;
    o.out_dir = out_dir;
    write_plan(spec, o, plan_runs(spec));
    write_tables(spec, out_dir, outcome.results);
    return outcome;
}

}  // namespace tcplab::experiment
