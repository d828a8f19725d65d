#pragma once
// The record of one run (/run/tcplab/run-<N>.json): who owns it (pid + process start time, so a
// recycled pid is not mistaken for the owner) and every object created, in creation order. An
// object is written here *before* it is created, so after a SIGKILL the file names everything
// that may exist; `down_stale()` removes it in reverse order.
//
// Run ids are claimed atomically: the complete first record is written to a temporary file and
// link(2)ed to run-<N>.json, which fails with EEXIST when the id is taken. So two concurrent runs
// never get the same N, and a state file is never seen empty or half-written (every later
// rewrite is tmp + rename). An id is also skipped while any tl<N>-* namespace exists (someone
// else's or a leftover). Claims and stale sweeps serialise on <dir>/.lock (StateDirLock), so a
// sweep can never remove the objects of an id that is being claimed at that moment.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"

namespace tcplab::netem {

inline constexpr int kMinRunId = 1;
inline constexpr int kMaxRunId = 250;

// /run/tcplab, or $TCPLAB_STATE_DIR when set (tests use their own directory).
std::filesystem::path default_state_dir();

struct RunObject {
    std::string kind;   // "netns" | "link"
    std::string netns;  // for a link: the namespace it lives in
    std::string name;
    friend bool operator==(const RunObject&, const RunObject&) = default;
};

struct RunRecord {
    int run_id = 0;
    pid_t pid = 0;                      // owner; 0 when detached
    std::uint64_t pid_start_ticks = 0;  // /proc/<pid>/stat starttime of the owner
    bool detached = false;              // `net up --detach`: lives until `net down N`
    std::string created_utc;
    std::vector<RunObject> objects;
    std::string parse_error;  // non-empty when the file could not be read
};

// Process start time (clock ticks since boot) from /proc/<pid>/stat; nullopt if no such pid or
// it has exited (a zombie not yet reaped counts as gone: an orphan's reaper may be slow).
std::optional<std::uint64_t> process_start_ticks(pid_t pid);
// True when the recorded owner is this very process still running (same pid, same start time).
bool owner_alive(const RunRecord& record);
// Detached runs and runs with a live owner are "owned"; a readable record whose owner process
// (pid + start time) is gone is stale. An unreadable file is never stale: with atomic writes it
// can only be damage from outside, and guessing its owner could delete a live run.
enum class RunStatus { running, detached, stale, unreadable };
RunStatus run_status(const RunRecord& record);
const char* to_string(RunStatus status);
inline bool is_stale(const RunRecord& record) { return run_status(record) == RunStatus::stale; }

// An exclusive flock(2) on <dir>/.lock for the lifetime of the object (creates dir and file).
// Held by id claims and by stale sweeps; never held while a run is creating its objects.
class StateDirLock {
public:
    explicit StateDirLock(const std::filesystem::path& dir);
    StateDirLock(const StateDirLock&) = delete;
    StateDirLock& operator=(const StateDirLock&) = delete;

private:
    UniqueFd fd_;  // closing it releases the flock
};

// Removes run-<N>.json.tmp.<pid>.<n> files whose writer is gone (a rewrite cut by SIGKILL).
// Returns their names.
std::vector<std::string> remove_dead_temp_files(const std::filesystem::path& dir);

// Every run-*.json in dir, sorted by id (unreadable files come back with parse_error set).
std::vector<RunRecord> list_runs(const std::filesystem::path& dir);
std::optional<RunRecord> read_run(const std::filesystem::path& dir, int run_id);
std::filesystem::path run_file(const std::filesystem::path& dir, int run_id);

// True when /run/netns/tl<N>-* exists for some role.
bool run_namespaces_exist(int run_id);

// Owns one claimed state file; rewrites it atomically (tmp + rename) on every change.
class RunStateFile {
public:
    // Claims run_id (atomic link of the complete first record). nullopt when already taken;
    // throws SystemError/EnvironmentError when the directory cannot be created or written.
    static std::optional<RunStateFile> claim(const std::filesystem::path& dir, int run_id);
    // Claims the lowest free id in kMinRunId..kMaxRunId; throws EnvironmentError when none is free.
    static RunStateFile claim_free(const std::filesystem::path& dir);

    RunStateFile(RunStateFile&& other) noexcept;
    RunStateFile& operator=(RunStateFile&& other) noexcept;
    RunStateFile(const RunStateFile&) = delete;
    RunStateFile& operator=(const RunStateFile&) = delete;
    ~RunStateFile() = default;  // the file outlives us unless remove() was called (on purpose)

    const RunRecord& record() const { return record_; }
    void add(const RunObject& object);  // recorded (and flushed) before the caller creates it
    void set_detached(bool detached);
    void remove();  // the run is gone: delete the file

private:
    RunStateFile(std::filesystem::path dir, RunRecord record);
    static std::optional<RunStateFile> claim_locked(const std::filesystem::path& dir, int run_id);
    void write() const;
    std::filesystem::path dir_;
    RunRecord record_;
    bool removed_ = false;
};

}  // namespace tcplab::netem
