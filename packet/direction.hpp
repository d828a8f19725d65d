#pragma once
// The two ways along a client-server path. Any two-vantage view of one path uses it: the
// impairment model (per direction), the forwarder's ledger and the path diff of two captures.
#include <cstdint>
#include <string>

namespace tcplab::packet {

enum class Direction : std::uint8_t { client_to_server, server_to_client };
std::string to_string(Direction d);  // "c2s" / "s2c"

}  // namespace tcplab::packet
