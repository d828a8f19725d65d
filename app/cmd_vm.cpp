// tcplab vm: placeholder until issue 9 lands (says so plainly, exits 2).
#include "app/cli.hpp"

namespace tcplab::app {

int run_vm(const Args& /*args*/) { return not_built_yet("vm", 9); }

}  // namespace tcplab::app
