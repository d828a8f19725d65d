#include "tests/support/lab.hpp"

#include <chrono>
#include <thread>
#include <utility>

#include "base/command.hpp"

namespace tcplab::test_support {

namespace {

netem::Topology forwarder_topology(bool ipv6) {
    netem::TopologyOptions options;
    options.kernel_forwarding = false;
    netem::Topology topology = netem::Topology::up(options);
    if (!ipv6) {
        using netem::Role;
        for (const auto& [role, dev] : {std::pair{Role::client, topology.client_interface()},
                                        std::pair{Role::router, topology.router_client_interface()},
                                        std::pair{Role::router, topology.router_server_interface()},
                                        std::pair{Role::server, topology.server_interface()}}) {
            system_runner().run({"ip", "netns", "exec", topology.namespace_name(role), "sysctl",
                                 "-q", "-w", "net.ipv6.conf." + dev + ".disable_ipv6=1"});
        }
    }
    return topology;
}

}  // namespace

ForwarderLab::ForwarderLab(bool ipv6) : topology_(forwarder_topology(ipv6)) {}

ScopedCapture::ScopedCapture(const std::string& ns, const std::string& interface,
                             std::filesystem::path file)
    : capture_(netem::CaptureOptions(ns, interface, std::move(file))) {
    capture_.start();
}

ScopedCapture::~ScopedCapture() {
    try {
        stop();
    } catch (...) {  // a destructor must not throw; a test that cares calls stop() itself
    }
}

void ScopedCapture::stop() {
    if (capture_.running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stats_ = capture_.stop();
    }
}

bool netns_exists(const std::string& name) {
    return std::filesystem::exists(std::filesystem::path("/run/netns") / name);
}

std::string command_output(const std::vector<std::string>& argv) {
    return system_runner().run(argv).out;
}

}  // namespace tcplab::test_support
