// tcplab analyze: placeholder until issue 4 lands (says so plainly, exits 2).
#include "app/cli.hpp"

namespace tcplab::app {

int run_analyze(const Args& /*args*/) { return not_built_yet("analyze", 4); }

}  // namespace tcplab::app
