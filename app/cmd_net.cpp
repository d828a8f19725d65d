// tcplab net: placeholder until issue 6 lands (says so plainly, exits 2).
#include "app/cli.hpp"

namespace tcplab::app {

int run_net(const Args& /*args*/) { return not_built_yet("net", 6); }

}  // namespace tcplab::app
