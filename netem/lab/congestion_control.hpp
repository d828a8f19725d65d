#pragma once
// TCP congestion control per namespace: net.ipv4.tcp_congestion_control is per network namespace
// (Linux >= 4.15), so one lab's ends can run reno while another's run bbr. Applies to IPv6 too.
#include <string>
#include <vector>

#include "base/command.hpp"

namespace tcplab::netem {

// What the kernel offers (/proc/sys/net/ipv4/tcp_available_congestion_control).
std::vector<std::string> available_congestion_controls();

// Sets `cc` in each namespace; loads tcp_<cc> first when the kernel does not offer it yet, and
// adds it to the host's allowed list when it is not there (a namespace may only pick those).
// Throws EnvironmentError naming what the kernel offers when it cannot.
void set_congestion_control(const std::vector<std::string>& namespaces, const std::string& cc,
                            CommandRunner& runner = system_runner());

}  // namespace tcplab::netem
