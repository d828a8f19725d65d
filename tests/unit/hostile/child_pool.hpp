#pragma once
// Runs many short child processes (the real tcplab binary) a few at a time, each with a hard
// wall-clock bound: a child still running at its deadline is SIGKILLed and reported as a hang.
// stdout/stderr go to files in a scratch directory (no pipes, so no deadlock on big outputs).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace tcplab::hostile {

struct ChildResult {
    bool timed_out = false;
    int signal = 0;      // the signal that ended it, 0 if it exited
    int exit_code = -1;  // valid when signal == 0 and !timed_out
    std::string out;
    std::string err;
    double seconds = 0;
};

// One child process; the destructor kills and reaps a child that is still running, so an
// exception or a failed assertion never leaves one behind.
class Child {
public:
    Child(const std::vector<std::string>& argv, const std::filesystem::path& out,
          const std::filesystem::path& err);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // Non-blocking: true once the child has ended (status filled in).
    bool poll(int& status);
    void kill_and_reap(int& status);

private:
    pid_t pid_ = -1;
};

// Runs every command, at most `parallel` at a time, each bounded by `bound`.
std::vector<ChildResult> run_bounded(const std::vector<std::vector<std::string>>& commands,
                                     std::chrono::milliseconds bound,
                                     const std::filesystem::path& scratch, unsigned parallel);

// "crash: signal 11 (Segmentation fault)", "hang: killed after 10 s", "exit 1": for messages.
std::string describe(const ChildResult& r);

}  // namespace tcplab::hostile
