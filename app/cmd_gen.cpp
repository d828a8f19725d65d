// tcplab gen: placeholder until issue 7 lands (says so plainly, exits 2).
#include "app/cli.hpp"

namespace tcplab::app {

int run_gen(const Args& /*args*/) { return not_built_yet("gen", 7); }

}  // namespace tcplab::app
