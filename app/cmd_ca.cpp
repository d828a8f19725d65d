// tcplab ca: placeholder until issue 5 lands (says so plainly, exits 2).
#include "app/cli.hpp"

namespace tcplab::app {

int run_ca(const Args& /*args*/) { return not_built_yet("ca", 5); }

}  // namespace tcplab::app
