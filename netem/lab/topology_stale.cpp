#include "netem/lab/topology_stale.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <regex>

#include "base/errors.hpp"
#include "netem/lab/topology.hpp"
#include "netem/lab/topology_names.hpp"

namespace tcplab::netem {

namespace fs = std::filesystem;

namespace {

bool all_digits(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "net:[4026532281]" -> 4026532281 (the nsfs inode); nullopt for any other link.
std::optional<std::uint64_t> net_inode(const fs::path& link) {
    std::array<char, 64> buf{};
    const ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size() - 1);
    if (n <= 6) {
        return std::nullopt;
    }
    const std::string s(buf.data(), static_cast<std::size_t>(n));
    if (s.rfind("net:[", 0) != 0 || s.back() != ']') {
        return std::nullopt;
    }
    const std::string digits = s.substr(5, s.size() - 6);
    return all_digits(digits) ? std::optional(std::stoull(digits)) : std::nullopt;
}

// One pass over /proc: for each network namespace inode, the first thing that keeps it in use.
// Threads are checked one by one (a thread that called setns() is not a process of the
// namespace), and so are descriptors (an open /run/netns/... or /proc/.../ns/net).
std::map<std::uint64_t, std::string> namespace_users() {
    std::map<std::uint64_t, std::string> users;
    std::error_code ec;
    for (const auto& proc : fs::directory_iterator("/proc", ec)) {
        const std::string pid = proc.path().filename().string();
        if (!all_digits(pid)) {
            continue;
        }
        std::string comm;
        std::getline(std::ifstream(proc.path() / "comm"), comm);
        const std::string who = "pid " + pid + " (" + comm + ")";
        std::error_code tec;
        for (const auto& task : fs::directory_iterator(proc.path() / "task", tec)) {
            const std::string tid = task.path().filename().string();
            if (const auto ino = net_inode(task.path() / "ns" / "net")) {
                users.emplace(*ino, tid == pid ? who : "thread " + tid + " of " + who);
            }
        }
        std::error_code fec;
        for (const auto& fd : fs::directory_iterator(proc.path() / "fd", fec)) {
            if (const auto ino = net_inode(fd.path())) {
                users.emplace(*ino, "a descriptor of " + who);
            }
        }
    }
    return users;
}

struct NamespaceFile {
    std::uint64_t inode = 0;
    std::chrono::seconds age{0};
};

std::optional<NamespaceFile> stat_namespace(const std::string& name) {
    struct stat st {};
    if (::stat(("/run/netns/" + name).c_str(), &st) != 0) {
        return std::nullopt;
    }
    // The nsfs inode's times are set when the namespace is first named (ip netns add/attach).
    const auto born = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
    const auto age =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - born);
    return NamespaceFile{st.st_ino, std::max(age, std::chrono::seconds(0))};
}

bool considered(const StaleOptions& options, int run_id) {
    return !options.only_ids || options.only_ids->count(run_id) != 0;
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

void remove_run(const RunRecord& record, const std::vector<RunObject>& objects,
                const std::string& why, const StaleOptions& options, CommandRunner& runner,
                StaleReport& report) {
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

CommandRunner& runner_of(const StaleOptions& options) {
    return options.runner != nullptr ? *options.runner : system_runner();
}

}  // namespace

const char* to_string(OrphanAction action) {
    switch (action) {
        case OrphanAction::remove:
            return "removed by `tcplab net down --stale`";
        case OrphanAction::keep_recorded:
            return "kept: its run has a state file";
        case OrphanAction::keep_in_use:
            return "kept: in use";
        case OrphanAction::keep_young:
            return "kept: younger than the grace period";
    }
    return "?";
}

OrphanAction judge_orphan(const OrphanFacts& facts, std::chrono::seconds grace) {
    if (facts.state_file_exists) {
        return OrphanAction::keep_recorded;
    }
    if (!facts.used_by.empty()) {
        return OrphanAction::keep_in_use;
    }
    if (facts.age < grace) {
        return OrphanAction::keep_young;
    }
    return OrphanAction::remove;
}

std::vector<RunRecord> StalePlan::stale() const {
    std::vector<RunRecord> out;
    std::copy_if(runs.begin(), runs.end(), std::back_inserter(out),
                 [](const RunRecord& r) { return is_stale(r); });
    return out;
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

std::optional<std::string> namespace_user(const std::string& name) {
    const auto file = stat_namespace(name);
    if (!file) {
        return std::nullopt;
    }
    const auto users = namespace_users();
    const auto it = users.find(file->inode);
    return it == users.end() ? std::nullopt : std::optional(it->second);
}

StalePlan plan_stale(const StaleOptions& options) {
    StalePlan plan;
    plan.runs = list_runs(options.state_dir);
    const auto namespaces = lab_namespaces();
    if (namespaces.empty()) {
        return plan;
    }
    std::optional<std::map<std::uint64_t, std::string>> users;
    for (const auto& [id, name] : namespaces) {
        OrphanNamespace orphan;
        orphan.run_id = id;
        orphan.name = name;
        // Checked after listing the namespace: a run's file outlives its namespaces.
        std::error_code ec;
        orphan.facts.state_file_exists = fs::exists(run_file(options.state_dir, id), ec);
        if (orphan.facts.state_file_exists) {
            continue;
        }
        const auto file = stat_namespace(name);
        if (!file) {
            continue;  // removed meanwhile by its owner
        }
        if (!users) {
            users = namespace_users();
        }
        if (const auto it = users->find(file->inode); it != users->end()) {
            orphan.facts.used_by = it->second;
        }
        orphan.facts.age = file->age;
        orphan.action = judge_orphan(orphan.facts, options.orphan_grace);
        plan.orphans.push_back(orphan);
    }
    return plan;
}

StaleReport down_stale(const StaleOptions& options) {
    CommandRunner& runner = runner_of(options);
    std::optional<StateDirLock> lock;
    if (!runner.dry_run()) {
        require_lab_privileges();
        // No id can be claimed (and no run created) while we judge and remove.
        lock.emplace(options.state_dir);
        (void)remove_dead_temp_files(options.state_dir);
    }
    StaleReport report;
    const StalePlan plan = plan_stale(options);
    for (const auto& record : plan.stale()) {
        if (considered(options, record.run_id)) {
            remove_run(record, record.objects,
                       "owner pid " + std::to_string(record.pid) + " is gone", options, runner,
                       report);
        }
    }
    if (!options.sweep_orphan_namespaces) {
        return report;
    }
    for (const auto& orphan : plan.orphans) {
        if (orphan.action != OrphanAction::remove || !considered(options, orphan.run_id)) {
            continue;
        }
        const auto failures = remove_objects({{"netns", "", orphan.name}}, runner);
        if (failures.empty()) {
            report.removed.push_back("netns " + orphan.name + " (no state file, unused, " +
                                     std::to_string(orphan.facts.age.count()) + " s old)");
        } else {
            report.failures.insert(report.failures.end(), failures.begin(), failures.end());
        }
    }
    return report;
}

StaleReport down_run(int run_id, const StaleOptions& options) {
    CommandRunner& runner = runner_of(options);
    std::optional<StateDirLock> lock;
    if (!runner.dry_run()) {
        require_lab_privileges();
        lock.emplace(options.state_dir);
    }
    StaleReport report;
    if (const auto record = read_run(options.state_dir, run_id)) {
        const RunStatus status = run_status(*record);
        if (status == RunStatus::running) {
            throw EnvironmentError("run " + std::to_string(run_id) + " is owned by live process " +
                                   std::to_string(record->pid) +
                                   "; stop it (Ctrl-C or kill -TERM " +
                                   std::to_string(record->pid) + ") and it cleans up itself");
        }
        // An unreadable file names no objects: its run's namespaces by name (explicit request).
        remove_run(
            *record, status == RunStatus::unreadable ? namespaces_of(run_id) : record->objects,
            status == RunStatus::stale ? "owner gone" : to_string(status), options, runner, report);
        return report;
    }
    std::vector<RunObject> present;
    for (const auto& o : namespaces_of(run_id)) {
        if (stat_namespace(o.name)) {
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
    remove_run(orphan, present, "no state file", options, runner, report);
    return report;
}

}  // namespace tcplab::netem
