#pragma once
// Entering a network namespace from C++: setns(2) switches only the calling thread, and sockets
// stay in the namespace they were created in. So a worker thread enters the namespace, creates its
// sockets (capture, raw, TLS, forwarder) and works there, while the rest of the process stays put.
#include <functional>
#include <string>

#include "base/errors.hpp"
#include "base/unique_fd.hpp"

namespace tcplab {

// Switches the calling thread into /run/netns/<name> for its lifetime and back on destruction.
// Throws EnvironmentError when the namespace does not exist or setns is not permitted.
class ScopedNetns {
public:
    explicit ScopedNetns(const std::string& name);
    ~ScopedNetns();
    ScopedNetns(const ScopedNetns&) = delete;
    ScopedNetns& operator=(const ScopedNetns&) = delete;

private:
    UniqueFd original_fd_;
};

// Runs fn on a new thread inside namespace `name` and waits for it; rethrows its exception.
void run_in_netns(const std::string& name, const std::function<void()>& fn);

}  // namespace tcplab
