#pragma once
// UniqueFd: sole owner of a file descriptor; closes it on destruction. Every fd tcplab opens
// (sockets, files, namespaces, pipes) lives in one of these.
#include <unistd.h>

#include <utility>

namespace tcplab {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset(std::exchange(other.fd_, -1));
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

// Both ends of a pipe (O_CLOEXEC). Throws SystemError when the pipe cannot be created.
struct Pipe {
    UniqueFd read;
    UniqueFd write;
};
Pipe make_pipe();

}  // namespace tcplab
