// tcplab tls: placeholder until issue 5 lands (says so plainly, exits 2).
#include "app/cli.hpp"

namespace tcplab::app {

int run_tls(const Args& /*args*/) { return not_built_yet("tls", 5); }

}  // namespace tcplab::app
