#include "app/net_up_userspace.hpp"

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <string>

#include "app/commands.hpp"
#include "base/errors.hpp"
#include "base/stop_signal.hpp"
#include "base/unique_fd.hpp"
#include "netem/forwarder/lab_forwarder.hpp"
#include "netem/impair/impairment_options.hpp"
#include "netem/lab/topology_stale.hpp"

namespace tcplab::app {

namespace {

constexpr const char* kReady = "tcplab-ready\n";

void print_forwarder_stats(const netem::ForwarderStats& s) {
    for (const auto* d : {&s.client_to_server, &s.server_to_client}) {
        std::cout << "forwarder " << (d == &s.client_to_server ? "c2s" : "s2c") << ": received "
                  << d->received << ", forwarded " << d->forwarded << ", dropped " << d->dropped
                  << ", queue drops " << d->queue_drops << ", ring drops " << d->ring_drops << "\n";
    }
}

// Creates the run, forwards until a stop signal, removes the run. `ready` runs once the path
// works (the detached child then lets its parent go).
int serve(const UserspaceNetUp& options,
          const std::function<void(const netem::Topology&, bool)>& print_topology,
          const std::function<void()>& ready) {
    StopSignals signals;
    for (const auto& line : netem::down_stale().removed) {
        std::cerr << "removed stale " << line << "\n";
    }
    netem::Topology topology = netem::Topology::up(options.topology);
    netem::Forwarder forwarder(
        netem::lab_forwarder_config(topology, options.impairment, options.ledger));
    forwarder.start();
    for (const auto& line : netem::describe(options.impairment)) {
        std::cout << "impairment " << line << " (userspace forwarder)\n";
    }
    print_topology(topology, options.detach);
    if (options.detach) {
        std::cout << "the forwarder runs in pid " << ::getpid() << ", the run's owner\n";
    }
    std::cout.flush();
    ready();
    while (!signals.wait_for(std::chrono::seconds(3600))) {
    }
    print_forwarder_stats(forwarder.stop());
    topology.down();
    std::cout << "run " << topology.run_id() << " removed\n";
    return kExitOk;
}

// --detach: fork before any thread exists; the child becomes its own session (no terminal's
// Ctrl-C reaches it) and owns the run; the parent relays its output until it is ready.
int detach_and_serve(const UserspaceNetUp& options,
                     const std::function<void(const netem::Topology&, bool)>& print_topology) {
    Pipe pipe = make_pipe();
    std::cout.flush();
    const pid_t child = ::fork();
    if (child < 0) {
        throw SystemError("fork failed");
    }
    if (child == 0) {
        ::setsid();
        pipe.read.reset();
        ::dup2(pipe.write.get(), STDOUT_FILENO);
        ::dup2(pipe.write.get(), STDERR_FILENO);
        const UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
        ::dup2(null.get(), STDIN_FILENO);
        int rc = kExitEnvironment;
        try {
            rc = serve(options, print_topology, [&] {
                std::cout << kReady << std::flush;
                ::dup2(null.get(), STDOUT_FILENO);  // the parent stops reading at kReady
                ::dup2(null.get(), STDERR_FILENO);
                pipe.write.reset();
            });
        } catch (const std::exception& e) {
            std::cerr << "tcplab net up: " << e.what() << "\n";
        }
        std::cout.flush();
        ::_exit(rc);
    }
    pipe.write.reset();
    std::string text;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(pipe.read.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
        text.append(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    const auto ready_at = text.find(kReady);
    std::cout << text.substr(0, ready_at) << std::flush;
    if (ready_at != std::string::npos) {
        return kExitOk;
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : kExitEnvironment;
}

}  // namespace

int net_up_userspace(UserspaceNetUp options,
                     const std::function<void(const netem::Topology&, bool)>& print_topology) {
    for (const auto& problem : netem::validate(options.impairment)) {
        throw UsageError(problem);
    }
    options.topology.kernel_forwarding = false;  // the forwarder is the only path
    if (options.detach) {
        return detach_and_serve(options, print_topology);
    }
    return serve(options, print_topology, [] {});
}

}  // namespace tcplab::app
