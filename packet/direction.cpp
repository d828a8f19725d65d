#include "packet/direction.hpp"

namespace tcplab::packet {

std::string to_string(Direction d) { return d == Direction::client_to_server ? "c2s" : "s2c"; }

}  // namespace tcplab::packet
