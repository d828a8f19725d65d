#include "netem/forwarder/lab_forwarder.hpp"

#include <nlohmann/json.hpp>

#include "base/command.hpp"
#include "base/errors.hpp"

namespace tcplab::netem {

namespace {

MacAddress interface_mac(const std::string& netns, const std::string& interface) {
    const CommandResult r =
        system_runner().run({"ip", "-n", netns, "-j", "link", "show", "dev", interface});
    const auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (doc.is_array() && !doc.empty()) {
        if (const auto mac = packet::parse_mac(doc[0].value("address", ""))) {
            return *mac;
        }
    }
    throw SystemError("cannot read the MAC address of " + interface + " in " + netns + ": " +
                      r.out);
}

}  // namespace

ForwarderConfig lab_forwarder_config(const Topology& topology, const Impairment& impairment,
                                     const std::filesystem::path& ledger_path) {
    ForwarderConfig config;
    config.router_netns = topology.namespace_name(Role::router);
    config.client_interface = topology.router_client_interface();
    config.server_interface = topology.router_server_interface();
    config.impairment = impairment;
    config.ledger_path = ledger_path;
    config.client_mac =
        interface_mac(topology.namespace_name(Role::client), topology.client_interface());
    config.server_mac =
        interface_mac(topology.namespace_name(Role::server), topology.server_interface());
    return config;
}

}  // namespace tcplab::netem
