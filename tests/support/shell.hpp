#pragma once
// Command lines for tests that need a shell's redirections and quoting (tshark, mergecap, the
// CLI under test). Only test-controlled strings go into them. Product-style argv commands use
// tcplab::system_runner() (base/command.hpp) instead.
#include <string>

namespace tcplab::test_support {

struct ShellResult {
    int exit_code = -1;  // the command's exit status; -1 when it did not exit normally
    std::string out;     // stdout (stderr goes where the command line sends it)
};

ShellResult shell(const std::string& command);

// True when `name` is on PATH.
bool have_tool(const std::string& name);

}  // namespace tcplab::test_support
