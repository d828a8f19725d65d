#include "hostile_corpus.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "child_pool.hpp"

namespace tcplab::hostile {

namespace fs = std::filesystem;

namespace {

enum class Mode { text, json, tsv };
constexpr Mode kModes[] = {Mode::text, Mode::json, Mode::tsv};

// Hard bound per invocation: generous for one small file even in a sanitizer build on a busy
// machine; anything beyond it is a hang. Sanitizer builds run the binary several times slower
// (measured: a 64-file batch took 25 s under ASan on a loaded 2-core machine), so the bound is
// scaled there — it catches hangs, it does not measure speed.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kSlowdown = 5;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int kSlowdown = 5;
#else
constexpr int kSlowdown = 1;
#endif
#else
constexpr int kSlowdown = 1;
#endif
constexpr std::chrono::milliseconds kPerInvocation{10'000 * kSlowdown};
constexpr std::chrono::milliseconds kPerExtraFile{250 * kSlowdown};

const char* mode_name(Mode m) {
    switch (m) {
        case Mode::text:
            return "text";
        case Mode::json:
            return "json";
        case Mode::tsv:
            return "--frames tsv";
    }
    return "?";
}

std::vector<std::string> command(Mode m, const std::vector<const Case*>& batch) {
    std::vector<std::string> argv{TCPLAB_BINARY, "analyze"};
    if (m == Mode::json) argv.insert(argv.end(), {"--format", "json"});
    if (m == Mode::tsv) argv.insert(argv.end(), {"--frames", "--format", "tsv"});
    for (const Case* c : batch) argv.push_back(c->file.string());
    return argv;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

std::string tail(const std::string& s, std::size_t n = 1500) {
    return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

class Judge {
public:
    Judge(const std::vector<const Case*>& batch, Mode mode, const ChildResult& r,
          std::vector<std::string>& failures)
        : batch_(batch), mode_(mode), r_(r), failures_(failures) {}

    void run() {
        check_exit();
        check_stderr();
        if (r_.exit_code == 0 || r_.exit_code == 2) {
            if (mode_ == Mode::json) check_json();
            if (mode_ == Mode::tsv) check_tsv();
            if (mode_ == Mode::text) check_text();
        }
    }

private:
    void fail(const Case* c, const std::string& what) {
        std::string where = std::string(mode_name(mode_)) + ": ";
        where += c != nullptr ? c->name + " [" + c->file.filename().string() + "]"
                              : std::to_string(batch_.size()) + " files from " + batch_[0]->name;
        failures_.push_back(where + ": " + what + "\n    stderr: " + tail(r_.err, 600));
    }

    void check_exit() {
        bool want_two = false;
        bool want_zero = true;
        for (const Case* c : batch_) {
            if (c->expect == Expect::unreadable) want_two = true;
            if (c->expect == Expect::unreadable || c->expect == Expect::any) want_zero = false;
        }
        const Case* single = batch_.size() == 1 ? batch_[0] : nullptr;
        if (r_.exit_code != 0 && r_.exit_code != 2) {
            fail(single, describe(r_) + " (want 0 or 2)");
        } else if (want_two && r_.exit_code != 2) {
            fail(single, describe(r_) + " (want 2: unreadable)");
        } else if (want_zero && r_.exit_code != 0) {
            fail(single, describe(r_) + " (want 0)");
        }
    }

    // Lines of stderr about this file: the path is always followed by ' or : in our messages.
    std::vector<std::string> lines_about(const Case* c,
                                         const std::vector<std::string>& lines) const {
        std::vector<std::string> out;
        const std::string p = c->file.string();
        for (const auto& l : lines) {
            if (contains(l, p + "'") || contains(l, p + ":")) out.push_back(l);
        }
        return out;
    }

    void check_stderr() {
        const auto lines = lines_of(r_.err);
        for (const auto& l : lines) {
            const bool named = std::any_of(batch_.begin(), batch_.end(), [&](const Case* c) {
                return contains(l, c->file.string());
            });
            if (!named) {
                fail(batch_.size() == 1 ? batch_[0] : nullptr, "stderr line names no file: " + l);
                return;
            }
        }
        bool any_unreadable = false;
        for (const Case* c : batch_) {
            const auto mine = lines_about(c, lines);
            const std::string p = c->file.string();
            std::vector<std::string> fatal;
            std::vector<std::string> stops;
            for (const auto& l : mine) {
                if (!contains(l, "warning:")) fatal.push_back(l);
                if (contains(l, p + ": record ")) stops.push_back(l);
            }
            any_unreadable |= !fatal.empty();
            for (const auto& l : fatal) {
                if (!contains(l, "offset") && !contains(l, "file header")) {
                    fail(c, "message does not say where in the file: " + l);
                }
            }
            for (const auto& l : stops) {
                if (!contains(l, "offset")) fail(c, "damage warning without an offset: " + l);
            }
            switch (c->expect) {
                case Expect::clean:
                    if (!stops.empty()) fail(c, "unexpected damage warning");
                    [[fallthrough]];
                case Expect::readable:
                    if (!fatal.empty()) fail(c, "rejected a readable file");
                    break;
                case Expect::damaged: {
                    if (!fatal.empty()) fail(c, "rejected a damaged but readable file");
                    const std::string want = p + ": record " + std::to_string(c->record) + " ";
                    if (std::none_of(stops.begin(), stops.end(),
                                     [&](const auto& l) { return contains(l, want); })) {
                        fail(c, "no warning naming '" + want + "'");
                    }
                    break;
                }
                case Expect::unreadable:
                    if (fatal.empty()) fail(c, "no message naming the unreadable file");
                    break;
                case Expect::any:
                    break;
            }
        }
        if (r_.exit_code == 2 && !any_unreadable)
            fail(nullptr, "exit 2 without a message naming a file");
        if (r_.exit_code == 0 && any_unreadable)
            fail(nullptr, "exit 0 although a file was rejected");
    }

    bool rejected(const Case* c) const {
        for (const auto& l : lines_about(c, lines_of(r_.err))) {
            if (!contains(l, "warning:")) return true;
        }
        return false;
    }

    void check_json() {
        if (r_.out.empty() && r_.exit_code == 2 && batch_.size() == 1) return;
        nlohmann::json doc;
        try {
            doc = nlohmann::json::parse(r_.out);
        } catch (const std::exception& e) {
            fail(batch_.size() == 1 ? batch_[0] : nullptr,
                 std::string("stdout is not valid JSON: ") + e.what() +
                     "\n    stdout: " + tail(r_.out, 300));
            return;
        }
        std::vector<const nlohmann::json*> docs;
        if (batch_.size() == 1) {
            docs.push_back(&doc);
        } else {
            if (!doc.contains("files") || !doc["files"].is_array()) {
                fail(nullptr, "json without a files[] array");
                return;
            }
            for (const auto& f : doc["files"]) docs.push_back(&f);
        }
        std::size_t next = 0;
        for (const Case* c : batch_) {
            if (rejected(c)) continue;
            if (next >= docs.size()) {
                fail(c, "missing from the json output");
                return;
            }
            const nlohmann::json& d = *docs[next++];
            if (d.value("file", std::string()) != c->file.string()) {
                fail(c, "json file entry out of order: " + d.value("file", std::string("<none>")));
                return;
            }
            if (c->records && d["summary"].value("records", std::uint64_t{0}) != *c->records) {
                fail(c, "json summary.records " + d["summary"]["records"].dump() + ", want " +
                            std::to_string(*c->records));
            }
        }
    }

    void check_tsv() {
        const bool labelled = batch_.size() > 1;
        for (const Case* c : batch_) {
            if (!c->rows || rejected(c)) continue;
            const auto got = tsv_rows(r_.out, c->file.string(), labelled);
            if (got != *c->rows) {
                std::string diff;
                const std::size_t n = std::max(got.size(), c->rows->size());
                for (std::size_t i = 0, shown = 0; i < n && shown < 3; ++i) {
                    const std::string g = i < got.size() ? got[i] : "<none>";
                    const std::string w = i < c->rows->size() ? (*c->rows)[i] : "<none>";
                    if (g == w) continue;
                    diff +=
                        "\n    row " + std::to_string(i + 1) + ": want [" + w + "] got [" + g + "]";
                    ++shown;
                }
                fail(c, "TSV rows differ from the intact capture's (" + std::to_string(got.size()) +
                            " rows, want " + std::to_string(c->rows->size()) + ")" + diff);
            }
        }
    }

    void check_text() {
        for (const Case* c : batch_) {
            if (rejected(c)) continue;
            if (!contains(r_.out, "== " + c->file.string() + " "))
                fail(c, "no report for the file");
        }
    }

    const std::vector<const Case*>& batch_;
    Mode mode_;
    const ChildResult& r_;
    std::vector<std::string>& failures_;
};

std::chrono::milliseconds bound_for(std::size_t files) {
    return kPerInvocation + kPerExtraFile * static_cast<long>(files - 1);
}

}  // namespace

std::vector<std::string> tsv_rows(const std::string& out, const std::string& path, bool labelled) {
    std::vector<std::string> rows;
    bool mine = !labelled;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("# file: ", 0) == 0) {
            mine = line == "# file: " + path;
            continue;
        }
        if (!mine || line.empty() || line[0] == '#' || line.rfind("frame\t", 0) == 0) continue;
        rows.push_back(line);
    }
    return rows;
}

std::vector<std::string> rows_through(const std::vector<std::string>& rows,
                                      std::uint64_t last_frame) {
    std::vector<std::string> out;
    for (const auto& r : rows) {
        if (std::stoull(r.substr(0, r.find('\t'))) <= last_frame) out.push_back(r);
    }
    return out;
}

std::vector<std::string> run_cases(const std::vector<Case>& cases, std::size_t batch,
                                   const fs::path& scratch, RunStats& stats) {
    std::vector<std::vector<const Case*>> batches;
    for (std::size_t i = 0; i < cases.size(); i += batch) {
        std::vector<const Case*> b;
        for (std::size_t j = i; j < std::min(cases.size(), i + batch); ++j) b.push_back(&cases[j]);
        batches.push_back(std::move(b));
    }
    const unsigned parallel = std::max(2u, std::thread::hardware_concurrency());

    struct Job {
        std::vector<const Case*> batch;
        Mode mode;
    };
    std::vector<Job> jobs;
    for (const auto& b : batches) {
        for (Mode m : kModes) jobs.push_back({b, m});
    }
    std::vector<std::string> failures;
    // Two rounds: the batches, then file by file for every batch that crashed or hung.
    for (int round = 0; round < 2 && !jobs.empty(); ++round) {
        std::vector<std::vector<std::string>> commands;
        std::size_t files = 0;
        for (const auto& j : jobs) {
            commands.push_back(command(j.mode, j.batch));
            files = std::max(files, j.batch.size());
        }
        const auto results = run_bounded(commands, bound_for(files), scratch, parallel);
        stats.invocations += results.size();
        std::vector<Job> again;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            const ChildResult& r = results[i];
            if (r.seconds > stats.slowest_seconds) {
                stats.slowest_seconds = r.seconds;
                stats.slowest = std::string(mode_name(jobs[i].mode)) + " " + jobs[i].batch[0]->name;
            }
            // A crash, a hang or a sanitizer's exit code: the batch cannot say which file did it.
            const bool broke =
                r.timed_out || r.signal != 0 || (r.exit_code != 0 && r.exit_code != 2);
            if (broke && jobs[i].batch.size() > 1) {
                failures.push_back(std::string(mode_name(jobs[i].mode)) + ": " + describe(r) +
                                   " on " + std::to_string(jobs[i].batch.size()) + " files from " +
                                   jobs[i].batch[0]->name + " (re-running them one by one)");
                for (const Case* c : jobs[i].batch) again.push_back({{c}, jobs[i].mode});
                continue;
            }
            if (broke) {
                failures.push_back(std::string(mode_name(jobs[i].mode)) + ": " +
                                   jobs[i].batch[0]->name + " [" +
                                   jobs[i].batch[0]->file.filename().string() +
                                   "]: " + describe(r) + "\n    stderr: " + tail(r.err));
                continue;
            }
            Judge(jobs[i].batch, jobs[i].mode, r, failures).run();
        }
        jobs = std::move(again);
    }
    stats.files += cases.size();
    return failures;
}

}  // namespace tcplab::hostile
