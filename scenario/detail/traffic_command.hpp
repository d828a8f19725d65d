#pragma once
// The user's own server and client commands as one traffic run of a scenario.
#include <sys/types.h>

#include <filesystem>
#include <optional>

#include "netem/lab/topology.hpp"
#include "scenario/checks.hpp"
#include "scenario/spec.hpp"

namespace tcplab::scenario {

struct CommandContext {
    const netem::Topology* topology = nullptr;
    std::filesystem::path out_dir;  // TCPLAB_OUT; client.log and server.log go here
    std::optional<uid_t> uid;       // run the commands as this user; nullopt: as root
    std::optional<gid_t> gid;
};

// Starts the server (waits until it listens), runs the client to completion or its timeout,
// then stops the server's whole process group. Never throws for what the commands do: a server
// that never listens or a client that fails is in the outcome.
TrafficOutcome run_user_commands(const UserCommands& commands, const CommandContext& context);

}  // namespace tcplab::scenario
