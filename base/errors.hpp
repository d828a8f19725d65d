#pragma once
// Typed errors for set-up and system failures. Libraries throw these; app/ turns each into one
// message on stderr and the exit code of docs/CLI.md's contract. (Per-packet parsing never throws:
// it returns packet::Result, see result.hpp.)
#include <stdexcept>
#include <string>

namespace tcplab {

enum ExitCode : int {
    kExitOk = 0,
    kExitCheckFailed = 1,  // a scenario ran but a check failed
    kExitUsage = 2,        // bad usage or bad input (message names the file / flag)
    kExitEnvironment = 3,  // not root, missing capability, missing tool
};

// Bad flag, bad value, unreadable or malformed input file. Exit 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The machine cannot do what was asked: privileges, kernel feature, missing tool. Exit 3.
class EnvironmentError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A system call or library call failed while doing the work (socket, OpenSSL, exec). Exit 3.
class SystemError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace tcplab
