#pragma once
// The userspace forwarder's configuration for one lab topology: the router's two interfaces and
// the neighbours' MACs (read from the namespaces, so the first frame already goes to the right
// host: a TCP stack discards unicast IP sent to the broadcast MAC). Shared by `scenario run` and
// `net up --backend userspace`.
#include <filesystem>

#include "netem/forwarder/forwarder.hpp"
#include "netem/lab/topology.hpp"

namespace tcplab::netem {

// Throws SystemError when a neighbour's MAC cannot be read.
ForwarderConfig lab_forwarder_config(const Topology& topology, const Impairment& impairment,
                                     const std::filesystem::path& ledger_path);

}  // namespace tcplab::netem
