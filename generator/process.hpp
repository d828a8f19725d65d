#pragma once
// Runs an external tool (nft, ip) as an argv vector, without a shell. The child inherits the
// calling thread's network namespace, so a caller inside ScopedNetns configures that namespace.
#include <string>
#include <vector>

namespace tcplab::gen {

struct CommandResult {
    int exit_code = -1;  // -1 when killed by a signal
    std::string output;  // stdout and stderr interleaved
};

// Throws EnvironmentError when argv[0] cannot be executed (tool missing).
CommandResult run_command(const std::vector<std::string>& argv);

// "nft add table inet x" for messages and --dry-run.
std::string join_argv(const std::vector<std::string>& argv);

}  // namespace tcplab::gen
