#include "netem/lab/run_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>
#include <utility>

#include "base/errors.hpp"
#include "base/utc_time.hpp"
#include "netem/lab/topology_names.hpp"

namespace tcplab::netem {

namespace fs = std::filesystem;
using nlohmann::json;

std::filesystem::path default_state_dir() {
    if (const char* env = std::getenv("TCPLAB_STATE_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
    return "/run/tcplab";
}

std::optional<std::uint64_t> process_start_ticks(pid_t pid) {
    if (pid <= 0) {
        return std::nullopt;
    }
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!in || !std::getline(in, line)) {
        return std::nullopt;
    }
    // comm (field 2) may contain spaces and ')': fields after the last ')' start at field 3.
    const auto close = line.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream rest(line.substr(close + 1));
    std::string field;
    for (int i = 3; i <= 22 && (rest >> field); ++i) {
        // Field 3, the state: a zombie (Z) or dead (X) process has exited and only waits for its
        // parent to reap it (when that is a container's PID 1, maybe never soon): not alive.
        if (i == 3 && (field == "Z" || field == "X")) {
            return std::nullopt;
        }
        if (i == 22) {
            return std::strtoull(field.c_str(), nullptr, 10);
        }
    }
    return std::nullopt;
}

bool owner_alive(const RunRecord& record) {
    const auto ticks = process_start_ticks(record.pid);
    return ticks.has_value() && *ticks == record.pid_start_ticks;
}

RunStatus run_status(const RunRecord& record) {
    if (!record.parse_error.empty()) {
        return RunStatus::unreadable;
    }
    if (record.detached) {
        return RunStatus::detached;
    }
    return owner_alive(record) ? RunStatus::running : RunStatus::stale;
}

const char* to_string(RunStatus status) {
    switch (status) {
        case RunStatus::running:
            return "running";
        case RunStatus::detached:
            return "detached";
        case RunStatus::stale:
            return "stale";
        case RunStatus::unreadable:
            return "unreadable";
    }
    return "?";
}

fs::path run_file(const fs::path& dir, int run_id) {
    return dir / ("run-" + std::to_string(run_id) + ".json");
}

namespace {

// 1 to max_len decimal digits and nothing else: a run id, a pid, a counter in a file name.
bool is_number(std::string_view text, std::size_t max_len) {
    return !text.empty() && text.size() <= max_len &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

json to_json(const RunRecord& r) {
    json objects = json::array();
    for (const auto& o : r.objects) {
        json j = {{"kind", o.kind}, {"name", o.name}};
        if (!o.netns.empty()) {
            j["netns"] = o.netns;
        }
        objects.push_back(j);
    }
    return {{"run_id", r.run_id},
            {"pid", r.pid},
            {"pid_start_ticks", r.pid_start_ticks},
            {"detached", r.detached},
            {"created", r.created_utc},
            {"objects", objects}};
}

RunRecord from_json(const json& j) {
    RunRecord r;
    r.run_id = j.at("run_id").get<int>();
    r.pid = j.at("pid").get<pid_t>();
    r.pid_start_ticks = j.at("pid_start_ticks").get<std::uint64_t>();
    r.detached = j.value("detached", false);
    r.created_utc = j.value("created", "");
    for (const auto& o : j.at("objects")) {
        r.objects.push_back({o.at("kind").get<std::string>(), o.value("netns", ""),
                             o.at("name").get<std::string>()});
    }
    return r;
}

std::optional<int> id_from_filename(const std::string& name) {
    if (name.rfind("run-", 0) != 0 || name.size() <= 9 || name.substr(name.size() - 5) != ".json") {
        return std::nullopt;
    }
    const std::string digits = name.substr(4, name.size() - 9);
    if (!is_number(digits, 3)) {
        return std::nullopt;
    }
    return std::stoi(digits);
}

void ensure_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        throw EnvironmentError("cannot create state directory " + dir.string() + ": " +
                               ec.message() +
                               (ec == std::errc::permission_denied ? " (needs root)" : ""));
    }
}

// <path>.tmp.<pid>.<n>: unique per write, not only per process — two threads of one process (two
// topologies coming up at once) must never write, link or remove each other's temporary file.
std::string temp_name(const fs::path& path) {
    static std::atomic<unsigned> next{0};
    return path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(next++);
}

void write_json(const std::string& file, const RunRecord& record) {
    std::ofstream out(file, std::ios::trunc);
    out << to_json(record).dump(2) << "\n";
    out.flush();
    if (!out) {
        throw SystemError("cannot write " + file);
    }
}

}  // namespace

StateDirLock::StateDirLock(const fs::path& dir) {
    ensure_dir(dir);
    const auto path = dir / ".lock";
    fd_.reset(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644));
    if (!fd_) {
        throw EnvironmentError("cannot open " + path.string() + ": " + std::strerror(errno));
    }
    while (::flock(fd_.get(), LOCK_EX) != 0) {
        if (errno != EINTR) {
            const int err = errno;
            throw SystemError("cannot lock " + path.string() + ": " + std::strerror(err));
        }
    }
}

std::vector<std::string> remove_dead_temp_files(const fs::path& dir) {
    static const std::string kMarker = ".json.tmp.";
    std::vector<std::string> removed;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto at = name.find(kMarker);
        if (name.rfind("run-", 0) != 0 || at == std::string::npos) {
            continue;
        }
        // <pid>.<n>, or <pid> alone as written by older versions.
        std::string digits = name.substr(at + kMarker.size());
        if (const auto dot = digits.find('.'); dot != std::string::npos) {
            if (!is_number(std::string_view(digits).substr(dot + 1), std::string_view::npos)) {
                continue;
            }
            digits.resize(dot);
        }
        if (!is_number(digits, 9)) {
            continue;
        }
        if (!process_start_ticks(static_cast<pid_t>(std::stol(digits)))) {
            std::error_code rm;
            if (fs::remove(entry.path(), rm)) {
                removed.push_back(name);
            }
        }
    }
    return removed;
}

std::optional<RunRecord> read_run(const fs::path& dir, int run_id) {
    const auto path = run_file(dir, run_id);
    std::ifstream in(path);
    if (!in) {
        return std::nullopt;
    }
    try {
        auto record = from_json(json::parse(in));
        record.run_id = run_id;  // the file name is authoritative
        return record;
    } catch (const std::exception& e) {
        // A half-written file of a killed run: the id still belongs to it until cleaned up.
        RunRecord broken;
        broken.run_id = run_id;
        broken.parse_error = path.string() + ": " + e.what();
        return broken;
    }
}

std::vector<RunRecord> list_runs(const fs::path& dir) {
    std::vector<RunRecord> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (const auto id = id_from_filename(entry.path().filename().string())) {
            if (auto record = read_run(dir, *id)) {
                out.push_back(std::move(*record));
            }
        }
    }
    std::sort(out.begin(), out.end(),
              [](const RunRecord& a, const RunRecord& b) { return a.run_id < b.run_id; });
    return out;
}

bool run_namespaces_exist(int run_id) {
    for (Role role : kAllRoles) {
        std::error_code ec;
        if (fs::exists(fs::path("/run/netns") / namespace_name(run_id, role), ec)) {
            return true;
        }
    }
    return false;
}

RunStateFile::RunStateFile(fs::path dir, RunRecord record)
    : dir_(std::move(dir)), record_(std::move(record)) {}

RunStateFile::RunStateFile(RunStateFile&& other) noexcept
    : dir_(std::move(other.dir_)), record_(std::move(other.record_)), removed_(other.removed_) {
    other.removed_ = true;
}

RunStateFile& RunStateFile::operator=(RunStateFile&& other) noexcept {
    if (this != &other) {
        dir_ = std::move(other.dir_);
        record_ = std::move(other.record_);
        removed_ = std::exchange(other.removed_, true);
    }
    return *this;
}

std::optional<RunStateFile> RunStateFile::claim(const fs::path& dir, int run_id) {
    if (run_id < kMinRunId || run_id > kMaxRunId) {
        throw UsageError("run id " + std::to_string(run_id) + " out of range " +
                         std::to_string(kMinRunId) + ".." + std::to_string(kMaxRunId));
    }
    const StateDirLock lock(dir);
    return claim_locked(dir, run_id);
}

std::optional<RunStateFile> RunStateFile::claim_locked(const fs::path& dir, int run_id) {
    RunRecord record;
    record.run_id = run_id;
    record.pid = ::getpid();
    // Without our own start time a sweep could not tell us from a dead owner: refuse to run.
    const auto ticks = process_start_ticks(record.pid);
    if (!ticks) {
        throw EnvironmentError("cannot read /proc/self/stat (is /proc mounted?)");
    }
    record.pid_start_ticks = *ticks;
    record.created_utc = utc_now("%Y-%m-%dT%H:%M:%SZ");
    // The complete record first, then link(2): the name appears atomically with its content,
    // and only if nobody holds it (EEXIST), which is the exclusive claim.
    const auto path = run_file(dir, run_id);
    const auto tmp = temp_name(path);
    write_json(tmp, record);
    const int rc = ::link(tmp.c_str(), path.c_str());
    const int err = errno;
    std::error_code ec;
    fs::remove(tmp, ec);
    if (rc != 0) {
        if (err == EEXIST) {
            return std::nullopt;
        }
        throw EnvironmentError("cannot create " + path.string() + ": " + std::strerror(err));
    }
    return RunStateFile(dir, std::move(record));
}

RunStateFile RunStateFile::claim_free(const fs::path& dir) {
    const StateDirLock lock(dir);
    for (int id = kMinRunId; id <= kMaxRunId; ++id) {
        if (run_namespaces_exist(id)) {
            continue;  // a leftover or someone else's: never reuse its names
        }
        if (auto file = claim_locked(dir, id)) {
            // Namespaces made by other tools (no lock) may appear between the check and the claim.
            if (!run_namespaces_exist(id)) {
                return std::move(*file);
            }
            file->remove();
        }
    }
    throw EnvironmentError("no free run id in " + std::to_string(kMinRunId) + ".." +
                           std::to_string(kMaxRunId) + " (see `tcplab net status`, " +
                           "`tcplab net down --stale`)");
}

void RunStateFile::add(const RunObject& object) {
    record_.objects.push_back(object);
    write();
}

void RunStateFile::set_detached(bool detached) {
    record_.detached = detached;
    if (detached) {
        record_.pid = 0;
        record_.pid_start_ticks = 0;
    }
    write();
}

void RunStateFile::remove() {
    if (removed_) {
        return;
    }
    std::error_code ec;
    fs::remove(run_file(dir_, record_.run_id), ec);
    removed_ = true;
}

void RunStateFile::write() const {
    const auto path = run_file(dir_, record_.run_id);
    const auto tmp = temp_name(path);
    write_json(tmp, record_);
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        throw SystemError("cannot replace " + path.string() + ": " + ec.message());
    }
}

}  // namespace tcplab::netem
