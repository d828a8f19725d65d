#pragma once
// One entry point per subcommand. Each takes the arguments after its name and returns the exit
// code; errors are thrown as tcplab::UsageError / EnvironmentError / SystemError and mapped by
// main(). Each lives in its own cmd_<name>.cpp.
#include <string>
#include <vector>

namespace tcplab::app {

using Args = std::vector<std::string>;

int run_analyze(const Args& args);
int run_ca(const Args& args);
int run_tls(const Args& args);
int run_gen(const Args& args);
int run_net(const Args& args);
int run_scenario(const Args& args);
int run_vm(const Args& args);
int run_experiment(const Args& args);

}  // namespace tcplab::app
