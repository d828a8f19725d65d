#include "experiment/plan.hpp"

#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>

#include "base/errors.hpp"
#include "scenario/spec.hpp"

namespace tcplab::experiment {

namespace {

namespace fs = std::filesystem;

constexpr int kMaxRuns = 100000;  // a plan is held in memory; more is a typo, not a sweep

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" \t\r");
    const auto last = s.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (!trim(item).empty()) {
            out.push_back(trim(item));
        }
    }
    return out;
}

[[noreturn]] void fail(const fs::path& file, int line, const std::string& what) {
    throw UsageError(file.string() + ":" + std::to_string(line) + ": " + what);
}

std::uint64_t parse_seed(const std::string& text, const fs::path& file, int line) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || !std::isdigit(static_cast<unsigned char>(text[0]))) {
        fail(file, line, "seeds: '" + text + "' is not a number (seeds = 1-10 or 1, 4, 9)");
    }
    return v;
}

std::vector<std::uint64_t> parse_seeds(const std::string& text, const fs::path& file, int line) {
    std::vector<std::uint64_t> out;
    for (const auto& item : split_list(text)) {
        const auto dash = item.find('-');
        if (dash == std::string::npos) {
            out.push_back(parse_seed(item, file, line));
            continue;
        }
        const auto from = parse_seed(trim(item.substr(0, dash)), file, line);
        const auto to = parse_seed(trim(item.substr(dash + 1)), file, line);
        if (to < from || to - from >= 10000) {
            fail(file, line, "seeds: '" + item + "' is not a range of at most 10000 seeds");
        }
        for (auto s = from; s <= to; ++s) {
            out.push_back(s);
        }
    }
    if (out.empty()) {
        fail(file, line, "seeds: no seed given");
    }
    return out;
}

// "loss" "5" -> "loss-5"; anything but letters, digits, '.', '-' becomes '_'.
std::string dir_part(const std::string& key, const std::string& value) {
    std::string out = key + "-" + value;
    for (char& c : out) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
            c = '_';
        }
    }
    return out;
}

}  // namespace

std::vector<std::string> PlannedRun::flags() const {
    std::vector<std::string> out;
    for (const auto& [key, value] : cell) {
        out.push_back("--" + key);
        out.push_back(value);
    }
    out.push_back("--seed");
    out.push_back(std::to_string(seed));
    return out;
}

ExperimentSpec parse_experiment(const std::string& text, const fs::path& file) {
    ExperimentSpec spec;
    spec.file = file;
    spec.name = file.stem().string();
    std::istringstream in(text);
    std::string line;
    std::string section;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string t = trim(line);
        const auto eq = t.find('=');
        const std::string key = eq == std::string::npos ? "" : trim(t.substr(0, eq));
        if (!t.empty() && t.front() == '[') {
            section = t;
        }
        if (key.rfind("vary.", 0) == 0 && section.empty()) {
            Variable v{key.substr(5), split_list(t.substr(eq + 1))};
            if (v.values.empty()) {
                fail(file, number, key + ": no values (vary.KEY = v1, v2, ...)");
            }
            spec.vary.push_back(std::move(v));
            spec.scenario_text += "\n";  // keep line numbers for the scenario parser's messages
        } else if (key == "seeds" && section.empty()) {
            spec.seeds = parse_seeds(t.substr(eq + 1), file, number);
            spec.scenario_text += "\n";
        } else {
            spec.scenario_text += line + "\n";
        }
    }
    if (spec.seeds.empty()) {
        spec.seeds = {1};
    }
    double runs = static_cast<double>(spec.seeds.size());
    for (const auto& v : spec.vary) {
        runs *= static_cast<double>(v.values.size());
    }
    if (runs > kMaxRuns) {
        throw UsageError(file.string() + ": " + std::to_string(static_cast<long long>(runs)) +
                         " runs (cells x seeds); at most " + std::to_string(kMaxRuns) +
                         " in one experiment");
    }
    for (const auto& run : plan_runs(spec)) {
        if (run.seed == spec.seeds.front()) {  // every cell once: its values must load
            (void)scenario::parse_scenario(spec.scenario_text, file, run.flags());
        }
    }
    return spec;
}

ExperimentSpec load_experiment(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw UsageError(file.string() + ": cannot open experiment file");
    }
    return parse_experiment(std::string(std::istreambuf_iterator<char>(in), {}), file);
}

std::vector<PlannedRun> plan_runs(const ExperimentSpec& spec) {
    std::vector<Cell> cells = {{}};
    for (const auto& v : spec.vary) {
        std::vector<Cell> next;
        for (const auto& cell : cells) {
            for (const auto& value : v.values) {
                Cell c = cell;
                c.emplace_back(v.key, value);
                next.push_back(std::move(c));
            }
        }
        cells = std::move(next);
    }
    std::vector<PlannedRun> runs;
    for (const auto& cell : cells) {
        std::string cell_dir;
        for (const auto& [key, value] : cell) {
            cell_dir += (cell_dir.empty() ? "" : "_") + dir_part(key, value);
        }
        for (const auto seed : spec.seeds) {
            PlannedRun r;
            r.index = runs.size();
            r.cell = cell;
            r.seed = seed;
            r.dir = (cell_dir.empty() ? std::string("base") : cell_dir) + "/seed-" +
                    std::to_string(seed);
            runs.push_back(std::move(r));
        }
    }
    return runs;
}

std::pair<int, int> parse_shard(const std::string& text) {
    int i = 0;
    int n = 0;
    char slash = 0;
    std::istringstream in(text);
    if (!(in >> i >> slash >> n) || slash != '/' || !in.eof() || n < 1 || i < 1 || i > n) {
        throw UsageError("--shard " + text + ": want I/N with 1 <= I <= N (e.g. --shard 2/4)");
    }
    return {i, n};
}

std::vector<PlannedRun> shard_of(const std::vector<PlannedRun>& runs, int shard, int shards) {
    if (shards < 1 || shard < 1 || shard > shards) {
        throw UsageError("--shard " + std::to_string(shard) + "/" + std::to_string(shards) +
                         ": want 1 <= I <= N");
    }
    std::vector<PlannedRun> out;
    for (const auto& r : runs) {
        if (static_cast<int>(r.index % static_cast<std::size_t>(shards)) == shard - 1) {
            out.push_back(r);
        }
    }
    return out;
}

}  // namespace tcplab::experiment
