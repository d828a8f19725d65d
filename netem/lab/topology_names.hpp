#pragma once
// Names and addresses of run N's objects (docs/CLI.md "Topology names and addresses"), as pure
// functions so the CLI, the state file, the backends and tests agree without a live topology:
//
//   [tl<N>-cli] veth-c --- veth-rc [tl<N>-rtr] veth-rs --- veth-s [tl<N>-srv]
//    198.18.N.2/24          198.18.N.1   198.19.N.1          198.19.N.2/24
//    fd7c:N:1::2/64         fd7c:N:1::1  fd7c:N:2::1         fd7c:N:2::2/64
//
// Interface names are per namespace, so they need no N; N appears in the IPv6 prefix as its
// decimal digits (valid hex, so run 12 is fd7c:12:...).
#include <array>
#include <string>

namespace tcplab::netem {

enum class Role { client, router, server };
inline constexpr std::array kAllRoles = {Role::client, Role::router, Role::server};

std::string to_string(Role role);  // "cli" / "rtr" / "srv"
Role role_from_string(
    const std::string& s);  // accepts cli|client, rtr|router, srv|server; UsageError

std::string namespace_name(int run_id, Role role);  // tl<N>-cli ...

inline const std::string kClientInterface = "veth-c";         // in tl<N>-cli
inline const std::string kRouterClientInterface = "veth-rc";  // in tl<N>-rtr, toward the client
inline const std::string kRouterServerInterface = "veth-rs";  // in tl<N>-rtr, toward the server
inline const std::string kServerInterface = "veth-s";         // in tl<N>-srv

std::string client_ipv4(int run_id);         // 198.18.N.2
std::string router_client_ipv4(int run_id);  // 198.18.N.1
std::string router_server_ipv4(int run_id);  // 198.19.N.1
std::string server_ipv4(int run_id);         // 198.19.N.2
std::string client_ipv6(int run_id);         // fd7c:N:1::2
std::string router_client_ipv6(int run_id);  // fd7c:N:1::1
std::string router_server_ipv6(int run_id);  // fd7c:N:2::1
std::string server_ipv6(int run_id);         // fd7c:N:2::2

// The MAC address run N gives one of its four veth ends: 02:74:6c:00:NN:0I (locally administered,
// "tl", N in hex, I = 1..4 for veth-c, veth-rc, veth-rs, veth-s). Fixed rather than random so the
// static neighbour entries (topology.hpp) are known before the links exist, and --dry-run shows
// them. Throws UsageError for an interface name that is not one of the four.
std::string veth_mac(int run_id, const std::string& interface);

}  // namespace tcplab::netem
