#pragma once
// External commands (ip, tc, nft, ethtool, sysctl) as argv vectors, never through a shell.
// Topology and backends take a CommandRunner so `--dry-run` and unit tests can record the exact
// argv lists instead of running them.
#include <chrono>
#include <string>
#include <vector>

namespace tcplab {

using Argv = std::vector<std::string>;

struct CommandResult {
    int exit_code = 0;  // 0 = success; 128+signal when killed (incl. the timeout)
    std::string out;    // captured stdout
    std::string err;    // captured stderr
};

// One command line for humans: words separated by spaces, quoted ('...') only when needed.
std::string format_command(const Argv& argv);

// The command's stderr without its trailing newlines and spaces, for quoting inside a message.
std::string stderr_text(const CommandResult& result);

// "command failed (exit N): CMD: STDERR" — the message of the SystemError a checked run throws.
std::string describe_failure(const Argv& argv, const CommandResult& result);

class CommandRunner {
public:
    virtual ~CommandRunner() = default;
    // Runs argv. With check=true a non-zero exit throws SystemError naming the command and its
    // stderr; with check=false the caller inspects exit_code (used for best-effort cleanup).
    virtual CommandResult run(const Argv& argv, bool check = true) = 0;
    // True when commands are only recorded (callers skip steps that need real results).
    virtual bool dry_run() const { return false; }
};

// Runs commands for real: posix_spawnp, stdin from /dev/null, stdout/stderr captured, killed
// after `timeout` (every external command is bounded in time).
class SystemRunner final : public CommandRunner {
public:
    explicit SystemRunner(std::chrono::milliseconds timeout = std::chrono::seconds(30))
        : timeout_(timeout) {}
    CommandResult run(const Argv& argv, bool check = true) override;

private:
    std::chrono::milliseconds timeout_;
};

// Records every argv and pretends it succeeded with empty output.
class DryRunRunner final : public CommandRunner {
public:
    CommandResult run(const Argv& argv, bool check = true) override;
    bool dry_run() const override { return true; }
    const std::vector<Argv>& commands() const { return commands_; }

private:
    std::vector<Argv> commands_;
};

// The process-wide SystemRunner (30 s timeout) used when an options struct names no runner.
CommandRunner& system_runner();

}  // namespace tcplab
