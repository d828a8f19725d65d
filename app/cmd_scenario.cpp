// tcplab scenario: placeholder until issue 8 lands (says so plainly, exits 2).
#include "app/cli.hpp"

namespace tcplab::app {

int run_scenario(const Args& /*args*/) { return not_built_yet("scenario", 8); }

}  // namespace tcplab::app
