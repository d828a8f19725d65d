#include "scenario/detail/traffic_command.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/child_process.hpp"
#include "base/errors.hpp"
#include "base/netns.hpp"
#include "scenario/detail/tcp_sockets.hpp"

namespace tcplab::scenario {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds millis(double seconds) { return milliseconds(static_cast<long>(seconds * 1000)); }

// The environment every command sees, and the dropped user's own HOME/USER/LOGNAME.
std::vector<std::pair<std::string, std::string>> command_env(const CommandContext& context) {
    const netem::Topology& t = *context.topology;
    std::vector<std::pair<std::string, std::string>> env = {
        {"TCPLAB_SERVER_ADDR", t.server_ipv4()},
        {"TCPLAB_SERVER_ADDR6", t.server_ipv6()},
        {"TCPLAB_CLIENT_ADDR", t.client_ipv4()},
        {"TCPLAB_CLIENT_ADDR6", t.client_ipv6()},
        {"TCPLAB_OUT", context.out_dir.string()}};
    if (context.uid) {
        passwd pw{};
        passwd* found = nullptr;
        std::vector<char> buf(16384);
        if (::getpwuid_r(*context.uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
            env.insert(env.end(),
                       {{"HOME", pw.pw_dir}, {"USER", pw.pw_name}, {"LOGNAME", pw.pw_name}});
        }
    }
    return env;
}

ChildOptions child_options(const CommandContext& context, netem::Role role,
                           const std::string& command, const char* log) {
    ChildOptions o;
    o.command = command;
    o.netns = context.topology->namespace_name(role);
    o.uid = context.uid;
    o.gid = context.gid;
    o.log = context.out_dir / log;
    o.cwd = context.out_dir;
    o.env = command_env(context);
    return o;
}

// Empty when the server listens in time; else why not.
std::string wait_until_listening(ChildProcess& server, const UserCommands& commands,
                                 const std::string& server_netns) {
    const auto deadline = Clock::now() + millis(commands.server_ready_timeout_s);
    const std::string what = commands.ready_port
                                 ? "on TCP port " + std::to_string(*commands.ready_port)
                                 : "on any TCP port";
    while (Clock::now() < deadline) {
        bool listening = false;
        run_in_netns(server_netns, [&] { listening = tcp_listener_present(commands.ready_port); });
        if (listening) {
            return {};
        }
        if (const auto code = server.wait_for(milliseconds(50))) {
            return "the server exited (code " + std::to_string(*code) + ") before it listened " +
                   what + " (see server.log)";
        }
    }
    return "the server did not listen " + what + " within " +
           std::to_string(commands.server_ready_timeout_s).substr(0, 4) +
           " s (see server.log; server-ready-timeout, server-ready-port)";
}

}  // namespace

TrafficOutcome run_user_commands(const UserCommands& commands, const CommandContext& context) {
    TrafficOutcome out;
    out.spec.kind = TrafficSpec::Kind::command;
    out.json = {{"kind", "command"}, {"client", commands.client}, {"server", commands.server}};
    const auto start = Clock::now();
    std::optional<ChildProcess> server;
    std::string error;
    if (!commands.server.empty()) {
        server.emplace(child_options(context, netem::Role::server, commands.server, "server.log"));
        error = wait_until_listening(*server, commands,
                                     context.topology->namespace_name(netem::Role::server));
    }
    std::optional<int> client_exit;
    if (error.empty()) {
        ChildProcess client(
            child_options(context, netem::Role::client, commands.client, "client.log"));
        client_exit = client.wait_for(millis(commands.client_timeout_s));
        if (!client_exit) {
            error = "the client still ran after " +
                    std::to_string(commands.client_timeout_s).substr(0, 5) +
                    " s (client-timeout): stopped";
        }
        client.stop();  // also whatever it left running in its group
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (server) {
        out.json["server_exit"] = server->stop();
    }
    out.completed = error.empty() && client_exit == commands.expect_client_exit;
    out.detail = error.empty() ? "client exit " + std::to_string(*client_exit) + " after " +
                                     std::to_string(seconds).substr(0, 5) + " s (client.log)"
                               : error;
    out.json["client_exit"] = client_exit ? nlohmann::json(*client_exit) : nlohmann::json();
    out.json["expected_client_exit"] = commands.expect_client_exit;
    out.json["seconds"] = seconds;
    out.json["completed"] = out.completed;
    out.json["error"] = error;
    out.json["user"] = context.uid ? nlohmann::json(*context.uid) : nlohmann::json("root");
    return out;
}

}  // namespace tcplab::scenario
