#include "netem/lab/topology_names.hpp"

#include <array>
#include <cstdio>

#include "base/errors.hpp"

namespace tcplab::netem {

std::string to_string(Role role) {
    switch (role) {
        case Role::client:
            return "cli";
        case Role::router:
            return "rtr";
        case Role::server:
            return "srv";
    }
    return "cli";
}

Role role_from_string(const std::string& s) {
    if (s == "cli" || s == "client") return Role::client;
    if (s == "rtr" || s == "router") return Role::router;
    if (s == "srv" || s == "server") return Role::server;
    throw UsageError("unknown namespace role '" + s + "' (expected cli, rtr or srv)");
}

std::string namespace_name(int run_id, Role role) {
    return "tl" + std::to_string(run_id) + "-" + to_string(role);
}

std::string client_ipv4(int n) { return "198.18." + std::to_string(n) + ".2"; }
std::string router_client_ipv4(int n) { return "198.18." + std::to_string(n) + ".1"; }
std::string router_server_ipv4(int n) { return "198.19." + std::to_string(n) + ".1"; }
std::string server_ipv4(int n) { return "198.19." + std::to_string(n) + ".2"; }
std::string client_ipv6(int n) { return "fd7c:" + std::to_string(n) + ":1::2"; }
std::string router_client_ipv6(int n) { return "fd7c:" + std::to_string(n) + ":1::1"; }
std::string router_server_ipv6(int n) { return "fd7c:" + std::to_string(n) + ":2::1"; }
std::string server_ipv6(int n) { return "fd7c:" + std::to_string(n) + ":2::2"; }

std::string veth_mac(int n, const std::string& interface) {
    const std::array<const std::string*, 4> ends = {&kClientInterface, &kRouterClientInterface,
                                                    &kRouterServerInterface, &kServerInterface};
    for (std::size_t i = 0; i < ends.size(); ++i) {
        if (*ends[i] == interface) {
            std::array<char, 18> mac{};
            std::snprintf(mac.data(), mac.size(), "02:74:6c:00:%02x:%02zx", n & 0xff, i + 1);
            return mac.data();
        }
    }
    throw UsageError("no lab interface is called '" + interface + "'");
}

}  // namespace tcplab::netem
