#pragma once
// The record of one run (/run/tcplab/run-<N>.json): who owns it (pid + process start time, so a
// recycled pid is not mistaken for the owner) and every object created, in creation order. An
// object is written here *before* it is created, so after a SIGKILL the file names everything
// that may exist; `down_stale()` removes it in reverse order.
//
// Run ids are allocated by creating the file with O_EXCL: two concurrent runs can never get the
// same N. An id is also skipped while any tl<N>-* namespace exists (someone else's or a leftover).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// Process start time (clock ticks since boot) from /proc/<pid>/stat; nullopt if no such pid.
std::optional<std::uint64_t> process_start_ticks(pid_t pid);
// True when the recorded owner is this very process still running (same pid, same start time).
bool owner_alive(const RunRecord& record);
// Detached runs and runs with a live owner are "owned"; everything else is stale.
inline bool is_stale(const RunRecord& record) { return !record.detached && !owner_alive(record); }

// Every run-*.json in dir, sorted by id (unreadable files come back with parse_error set).
std::vector<RunRecord> list_runs(const std::filesystem::path& dir);
std::optional<RunRecord> read_run(const std::filesystem::path& dir, int run_id);
std::filesystem::path run_file(const std::filesystem::path& dir, int run_id);

// True when /run/netns/tl<N>-* exists for some role.
bool run_namespaces_exist(int run_id);

// Owns one claimed state file; rewrites it atomically (tmp + rename) on every change.
class RunStateFile {
public:
    // Claims run_id (O_EXCL). nullopt when already taken; throws SystemError/EnvironmentError when
    // the directory cannot be created or written.
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
    void write() const;
    std::filesystem::path dir_;
    RunRecord record_;
    bool removed_ = false;
};

}  // namespace tcplab::netem
