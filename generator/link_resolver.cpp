#include "generator/detail/link_resolver.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/command.hpp"
#include "base/errors.hpp"
#include "base/unique_fd.hpp"

namespace tcplab::gen {

RouteInfo parse_route_json(const std::string& json) {
    const auto doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded() || !doc.is_array() || doc.empty() || !doc[0].is_object()) {
        throw UsageError("unexpected output of 'ip -j route get': " + json);
    }
    const auto& route = doc[0];
    RouteInfo info;
    info.dev = route.value("dev", "");
    info.prefsrc = route.value("prefsrc", "");
    info.gateway = route.value("gateway", "");
    if (info.dev.empty()) {
        throw UsageError("'ip -j route get' names no device: " + json);
    }
    return info;
}

std::optional<MacAddress> parse_neigh_json(const std::string& json, const std::string& address) {
    const auto doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded() || !doc.is_array()) {
        return std::nullopt;
    }
    for (const auto& entry : doc) {
        if (!entry.is_object() || entry.value("dst", "") != address || !entry.contains("lladdr")) {
            continue;
        }
        if (entry.contains("state") && entry["state"].is_array()) {
            for (const auto& s : entry["state"]) {
                if (s == "FAILED" || s == "INCOMPLETE") {
                    return std::nullopt;
                }
            }
        }
        return packet::parse_mac(entry.value("lladdr", ""));
    }
    return std::nullopt;
}

namespace {

// An empty UDP datagram to the discard port makes the kernel resolve the neighbour (the
// destination is the flood's target anyway, so this sends nothing anywhere new).
void trigger_neighbour_resolution(const packet::IpAddress& dst) {
    const bool v4 = dst.is_v4();
    UniqueFd fd(::socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return;
    }
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (v4) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(9);
        std::memcpy(&sin->sin_addr, dst.bytes.data(), 4);
        length = sizeof *sin;
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(9);
        std::memcpy(&sin6->sin6_addr, dst.bytes.data(), 16);
        length = sizeof *sin6;
    }
    (void)::sendto(fd.get(), "", 0, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&storage),
                   length);
}

std::optional<MacAddress> interface_mac(const std::string& name) {
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq request{};
    if (!fd.valid() || name.size() >= sizeof request.ifr_name) {
        return std::nullopt;
    }
    std::memcpy(request.ifr_name, name.c_str(), name.size());
    if (::ioctl(fd.get(), SIOCGIFHWADDR, &request) != 0 ||
        request.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        return std::nullopt;
    }
    MacAddress mac{};
    std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, 6);
    return mac;
}

}  // namespace

EgressPath resolve_egress(const packet::IpAddress& dst, std::chrono::milliseconds wait) {
    const std::string dst_text = dst.to_string();
    const auto route = system_runner().run({"ip", "-j", "route", "get", dst_text}, /*check=*/false);
    if (route.exit_code != 0) {
        throw EnvironmentError("no route to " + dst_text + ": " + route.err);
    }
    const RouteInfo info = parse_route_json(route.out);
    EgressPath path;
    path.interface = info.dev;
    path.ifindex = static_cast<int>(::if_nametoindex(info.dev.c_str()));
    if (path.ifindex == 0) {
        throw EnvironmentError("interface " + info.dev + " (route to " + dst_text + ") vanished");
    }
    if (auto src = packet::IpAddress::parse(info.prefsrc)) {
        path.source = *src;
    } else {
        path.source = dst;  // no preferred source (e.g. local route): caller must give --src
    }
    const std::string hop_text = info.gateway.empty() ? dst_text : info.gateway;
    path.next_hop = packet::IpAddress::parse(hop_text).value_or(dst);
    if (info.dev == "lo") {
        return path;  // loopback frames carry zero MACs
    }
    // Ask the socket layer, not /sys: sysfs shows the namespace it was mounted in, while this
    // thread may have entered another one (ScopedNetns).
    const auto own = interface_mac(info.dev);
    if (!own) {
        throw EnvironmentError("interface " + info.dev +
                               " has no Ethernet address; flood needs one");
    }
    path.source_mac = *own;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    bool triggered = false;
    for (;;) {
        const auto neigh = system_runner().run(
            {"ip", "-j", "neigh", "show", "to", hop_text, "dev", info.dev}, /*check=*/false);
        if (auto mac = parse_neigh_json(neigh.out, hop_text)) {
            path.next_hop_mac = *mac;
            return path;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw EnvironmentError("neighbour " + hop_text + " on " + info.dev +
                                   " did not answer address resolution (no such host?)");
        }
        if (!triggered) {
            trigger_neighbour_resolution(dst);  // resolves the gateway too when there is one
            triggered = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace tcplab::gen
