#include "tests/support/shell.hpp"

#include <sys/wait.h>

#include <cstdio>

namespace tcplab::test_support {

ShellResult shell(const std::string& command) {
    ShellResult result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    char buffer[65536];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        result.out.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

bool have_tool(const std::string& name) {
    return shell("command -v '" + name + "' >/dev/null 2>&1").exit_code == 0;
}

}  // namespace tcplab::test_support
