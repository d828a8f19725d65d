#pragma once
// SIGINT/SIGTERM turned into a polled flag plus a self-pipe, so the process that owns a topology
// cleans it up itself with its destructors (a signal handler may not run `ip netns del`).
// `tcplab net up` and the scenario runner hold a StopSignals for their whole run.
#include <chrono>

#include "base/errors.hpp"

namespace tcplab {

// Thrown by long-running steps (Topology::up, waits) when a stop was requested; callers let it
// unwind so every destructor runs. Maps to exit 3 like other SystemErrors.
class Interrupted : public SystemError {
public:
    Interrupted() : SystemError("interrupted by a signal; everything created was removed") {}
};

class StopSignals {
public:
    // Installs the handlers (SIGINT, SIGTERM); the previous ones are restored on destruction.
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // Blocks until a signal arrives or `timeout` passes; true when a stop was requested.
    bool wait_for(std::chrono::milliseconds timeout) const;
    // The read end of the self-pipe (readable once a signal arrived), for poll loops.
    int fd() const;
};

// True once SIGINT/SIGTERM arrived while a StopSignals was installed (stays true).
bool stop_requested();
// Throws Interrupted when stop_requested().
void throw_if_stop_requested();

}  // namespace tcplab
