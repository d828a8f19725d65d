#include "base/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

namespace tcplab {

namespace {

int open_or_throw(const std::string& path, const std::string& what) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw EnvironmentError("cannot open " + what + " (" + path + "): " + std::strerror(errno));
    }
    return fd;
}

}  // namespace

ScopedNetns::ScopedNetns(const std::string& name) {
    original_fd_ = open_or_throw("/proc/thread-self/ns/net", "this thread's network namespace");
    const int target = open_or_throw("/run/netns/" + name, "network namespace " + name);
    const int rc = ::setns(target, CLONE_NEWNET);
    const int err = errno;
    ::close(target);
    if (rc != 0) {
        ::close(original_fd_);
        throw EnvironmentError("cannot enter network namespace " + name + ": " +
                               std::strerror(err) +
                               (err == EPERM ? " (needs root / CAP_SYS_ADMIN)" : ""));
    }
}

ScopedNetns::~ScopedNetns() {
    // Restoring cannot fail for a namespace we came from; nothing sensible to do if it did.
    (void)::setns(original_fd_, CLONE_NEWNET);
    ::close(original_fd_);
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
