#include "base/stop_signal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace tcplab {

namespace {

std::atomic<bool> g_stop{false};
int g_pipe[2] = {-1, -1};
struct sigaction g_old_int {};
struct sigaction g_old_term {};
std::atomic<int> g_installed{0};

extern "C" void on_stop_signal(int /*signo*/) {
    const int saved = errno;  // the handler must not disturb the interrupted code's errno
    g_stop.store(true);
    if (g_pipe[1] >= 0) {
        const char byte = 1;
        (void)!::write(g_pipe[1], &byte, 1);
    }
    errno = saved;
}

}  // namespace

StopSignals::StopSignals() {
    if (g_installed.fetch_add(1) != 0) {
        return;  // nested: the outer instance already installed everything
    }
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        g_installed.fetch_sub(1);
        throw SystemError(std::string("pipe2: ") + std::strerror(errno));
    }
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and loops see the flag
    ::sigaction(SIGINT, &sa, &g_old_int);
    ::sigaction(SIGTERM, &sa, &g_old_term);
}

StopSignals::~StopSignals() {
    if (watcher_.joinable()) {  // before the pipe it polls is closed
        watcher_.request_stop();
        watcher_.join();
    }
    if (g_installed.fetch_sub(1) != 1) {
        return;
    }
    ::sigaction(SIGINT, &g_old_int, nullptr);
    ::sigaction(SIGTERM, &g_old_term, nullptr);
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
}

bool StopSignals::wait_for(std::chrono::milliseconds timeout) const {
    if (g_stop.load()) {
        return true;
    }
    pollfd pfd{g_pipe[0], POLLIN, 0};
    (void)::poll(&pfd, 1, static_cast<int>(timeout.count()));
    return g_stop.load();
}

int StopSignals::fd() const { return g_pipe[0]; }

std::stop_token StopSignals::token() {
    if (!watcher_.joinable()) {
        watcher_ = std::jthread([this](std::stop_token own) {
            while (!own.stop_requested()) {
                if (wait_for(std::chrono::milliseconds(200))) {
                    source_.request_stop();
                    return;
                }
            }
        });
    }
    return source_.get_token();
}

bool stop_requested() { return g_stop.load(); }

void throw_if_stop_requested() {
    if (stop_requested()) {
        throw Interrupted();
    }
}

}  // namespace tcplab
