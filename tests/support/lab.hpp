#pragma once
// The product's own lab (netem::Topology) set up for tests of what runs in it, and the product's
// capture held for a scope. Tests of the lab itself use netem::Topology directly.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "netem/capture/capture.hpp"
#include "netem/lab/topology.hpp"

namespace tcplab::test_support {

// A client-router-server run with the router's kernel forwarding off, for the userspace
// forwarder to move the frames (netem::Topology: offloads off, so one wire packet is one frame;
// no DAD, no router solicitations). Without `ipv6` the veths also have IPv6 disabled: no IPv6
// chatter at all (MLD reports) in the captures, and neighbours are found by ARP alone.
class ForwarderLab {
public:
    explicit ForwarderLab(bool ipv6 = false);

    const netem::Topology& topology() const { return topology_; }
    std::string client_ns() const { return topology_.namespace_name(netem::Role::client); }
    std::string router_ns() const { return topology_.namespace_name(netem::Role::router); }
    std::string server_ns() const { return topology_.namespace_name(netem::Role::server); }
    std::string client_ip() const { return topology_.client_ipv4(); }
    std::string server_ip() const { return topology_.server_ipv4(); }
    std::string client_ipv6() const { return topology_.client_ipv6(); }
    std::string server_ipv6() const { return topology_.server_ipv6(); }

private:
    netem::Topology topology_;
};

// The product's capture (netem::Capture, tested on its own in capture_integration_test) of one
// interface for the length of a scope. stop() waits a moment for the last frames in flight; the
// pcap file is complete once stop() returned or the object is gone.
class ScopedCapture {
public:
    ScopedCapture(const std::string& ns, const std::string& interface, std::filesystem::path file);
    ~ScopedCapture();
    ScopedCapture(const ScopedCapture&) = delete;
    ScopedCapture& operator=(const ScopedCapture&) = delete;
    void stop();
    std::uint64_t dropped() const { return stats_.dropped + stats_.if_dropped; }

private:
    netem::Capture capture_;
    netem::CaptureStats stats_;
};

bool netns_exists(const std::string& name);

// The stdout of argv run by tcplab::system_runner(); throws when it fails.
std::string command_output(const std::vector<std::string>& argv);

}  // namespace tcplab::test_support
