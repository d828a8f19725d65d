#pragma once
// A scenario: what the path does (the impairment model), what traffic crosses it, and what the
// analyzer is expected to conclude. Read from scenarios/NAME.ini (Boost.Program_options config
// syntax, the same option names as the CLI flags) or from a user's own FILE.ini.
#include <boost/program_options/options_description.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "netem/impair/impairment.hpp"
#include "netem/impair/impairment_options.hpp"

namespace tcplab::scenario {

struct TrafficSpec {
    // `command`: the user's server and client commands (ScenarioSpec::commands), never in a file's
    // traffic lines.
    enum class Kind : std::uint8_t {
        kernel_bulk,
        tls_greeting,
        tls_bulk,
        crafted_handshake,
        command
    };
    Kind kind = Kind::kernel_bulk;
    std::uint64_t bytes = 0;  // payload for bulk / crafted data
    friend bool operator==(const TrafficSpec&, const TrafficSpec&) = default;
};
std::string to_string(TrafficSpec::Kind kind);  // "kernel-bulk", "tls-greeting", ...

struct Expectations {
    enum class Retransmissions : std::uint8_t { any, none, some };
    Retransmissions retransmissions = Retransmissions::any;
    bool handshake_fails = false;     // the scenario is built so the handshake cannot complete
    bool out_of_order = false;        // the receiver's analysis must show out-of-order / reordering
    bool duplicate_ack = false;       // ... must show duplicate ACKs (or spurious retransmissions)
    std::optional<double> syn_rto_s;  // a dropped SYN's retransmission RTO (Linux: 1 s)
};

// The user's own programs as traffic (`server = CMD`, `client = CMD`): each runs through
// /bin/sh -c in its namespace; the server first, the client to completion, then the server is
// stopped. Their connections get every wire-truth check; their payload is their own business
// (the client's exit code).
struct UserCommands {
    std::string server;                       // empty: no server command
    std::string client;                       // empty: no user commands at all
    std::optional<std::uint16_t> ready_port;  // wait for this port (else: any TCP listener)
    double server_ready_timeout_s = 10;
    double client_timeout_s = 120;
    int expect_client_exit = 0;
    bool empty() const { return client.empty(); }
    friend bool operator==(const UserCommands&, const UserCommands&) = default;
};

struct ScenarioSpec {
    std::string name;  // file stem
    std::filesystem::path file;
    std::string description;
    netem::Impairment impairment;  // includes the seed
    std::vector<TrafficSpec> traffic;
    UserCommands commands;  // run after the built-in traffic
    Expectations expect;
    bool ipv6 = false;      // traffic over fd7c:: instead of 198.18/15
    std::string cc;         // TCP congestion control in both ends' namespaces; empty: the kernel's
    double timeout_s = 60;  // whole traffic phase
};

// Every key a scenario file may hold, with its meaning: also the flags of `scenario run`.
const boost::program_options::options_description& scenario_key_options();

// Directory holding the shipped scenarios: $TCPLAB_SCENARIOS, else BINDIR/../share/tcplab/scenarios
// when tcplab is installed, else <source>/scenarios.
std::filesystem::path scenario_directory();
// Resolves NAME (a shipped scenario) or a path to a .ini file; `flags` are scenario keys given on
// the command line ("--loss", "10", "--c2s.delay=50", "--client", "curl ..."), which override the
// file's. An empty name_or_file is a scenario of flags alone (named "command-line"). Throws
// UsageError naming the file, the line and the key (or the flag) for unknown keys and bad values.
ScenarioSpec load_scenario(const std::string& name_or_file,
                           const std::vector<std::string>& flags = {});
// load_scenario's parser over the text of `file` (already read; the name is for messages).
ScenarioSpec parse_scenario(const std::string& text, const std::filesystem::path& file,
                            const std::vector<std::string>& flags = {});
// Every key a scenario file takes, from the tables the parser registers: the scenario's own, then
// the impairment's (each also as c2s.KEY / s2c.KEY or in a [c2s] / [s2c] section, and as a flag of
// `scenario run` and `net up`).
std::vector<netem::KeyDoc> scenario_keys();
// Every shipped scenario, sorted by name.
std::vector<ScenarioSpec> list_scenarios();

}  // namespace tcplab::scenario
