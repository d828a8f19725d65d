#pragma once
// SIGINT/SIGTERM turned into a polled flag plus a self-pipe, so the process that owns a topology
// cleans it up itself with its destructors (a signal handler may not run `ip netns del`).
// `tcplab net up`, `tcplab tls server` and the scenario runner hold a StopSignals for their whole
// run; code that takes a std::stop_token (the TLS server) gets one from token().
#include <chrono>
#include <stop_token>
#include <thread>

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
    // Requested once a signal arrives. The first call starts a watcher thread that turns the
    // self-pipe into the request (a signal handler may not call request_stop()).
    std::stop_token token();

private:
    std::stop_source source_;
    std::jthread watcher_;
};

// True once SIGINT/SIGTERM arrived while a StopSignals was installed (stays true).
bool stop_requested();
// Throws Interrupted when stop_requested().
void throw_if_stop_requested();

}  // namespace tcplab
