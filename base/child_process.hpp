#pragma once
// A user's program as a supervised child: `/bin/sh -c COMMAND` started inside a network namespace,
// as a given user, in a process group of its own, with its stdout and stderr in a log file. The
// owner stops the whole group (SIGTERM, then SIGKILL) and reaps it; the destructor does so too, so
// no child outlives the run that started it, also on an exception.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tcplab {

struct ChildOptions {
    std::string command;       // run by /bin/sh -c
    std::string netns;         // /run/netns/<name>; empty: stay in this one
    std::optional<uid_t> uid;  // drop to this user (and `gid`, no extra groups)
    std::optional<gid_t> gid;
    std::filesystem::path log;  // stdout and stderr, appended; empty: /dev/null
    std::filesystem::path cwd;  // empty: inherit
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing) ours
};

class ChildProcess {
public:
    // Throws SystemError when the log cannot be opened or fork fails. A failure inside the child
    // before exec (no such namespace, setuid refused) shows as exit status 127 with the reason
    // in the log.
    explicit ChildProcess(const ChildOptions& options);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    // Waits up to `timeout` for the shell to exit: its exit code, or 128+signal; nullopt when it
    // still runs.
    std::optional<int> wait_for(std::chrono::milliseconds timeout);
    // SIGTERM to the whole process group, up to `grace` for it to end, then SIGKILL; reaps the
    // shell. Returns the shell's status (128+signal when a signal ended it). Idempotent.
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(2));
    bool running() const { return !status_.has_value(); }

private:
    bool group_alive() const;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

}  // namespace tcplab
