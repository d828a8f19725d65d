#include "base/netns.hpp"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

namespace tcplab {

namespace {

UniqueFd open_or_throw(const std::string& path, const std::string& what) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        throw EnvironmentError("cannot open " + what + " (" + path + "): " + std::strerror(errno));
    }
    return fd;
}

}  // namespace

ScopedNetns::ScopedNetns(const std::string& name) {
    original_fd_ = open_or_throw("/proc/thread-self/ns/net", "this thread's network namespace");
    const UniqueFd target = open_or_throw("/run/netns/" + name, "network namespace " + name);
    if (::setns(target.get(), CLONE_NEWNET) != 0) {
        const int err = errno;
        throw EnvironmentError("cannot enter network namespace " + name + ": " +
                               std::strerror(err) +
                               (err == EPERM ? " (needs root / CAP_SYS_ADMIN)" : ""));
    }
}

ScopedNetns::~ScopedNetns() {
    // Restoring cannot fail for a namespace we came from; nothing sensible to do if it did.
    (void)::setns(original_fd_.get(), CLONE_NEWNET);
}

void run_in_netns(const std::string& name, const std::function<void()>& fn) {
    std::exception_ptr failure;
    std::thread worker([&] {
        try {
            ScopedNetns inside(name);
            fn();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    worker.join();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

}  // namespace tcplab
