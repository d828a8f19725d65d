// tcplab vm run: a command inside a User-Mode Linux guest (netem/vm/uml_vm.hpp does the work).
#include <algorithm>
#include <iostream>

#include "app/cli.hpp"
#include "base/errors.hpp"
#include "netem/vm/uml_vm.hpp"

namespace tcplab::app {

namespace {

// timeout(1)'s convention, so scripts can tell "the guest hung" from the command's own codes.
constexpr int kExitTimedOut = 124;

const CommandSpec kSpec{
    "tcplab vm run [--rw DIR]... [--timeout S] [--mem SIZE] [--env NAME=VALUE]... [--console] "
    "-- CMD [ARG]...",
    "Boots a User-Mode Linux guest (Debian's user-mode-linux: a real Linux kernel with sch_netem,\n"
    "run as an ordinary process, no KVM needed), runs CMD as root inside it and powers off.\n"
    "The guest sees the host's / read-only, each --rw DIR writable at the same path, fresh tmpfs\n"
    "on /tmp /run /var/tmp /root (a CMD given by absolute path below one of them is shared\n"
    "read-only by itself), and no network besides what CMD builds (namespaces, veths);\n"
    "sch_netem, veth and ipv6 are loaded, other modules load on demand. CMD's stdout and stderr\n"
    "are streamed live; its working directory is the current one when the guest can see it.\n"
    "The environment is clean: HOME=/root TERM=dumb TCPLAB_IN_VM=1 plus each --env.\n\n"
    "Exit status: CMD's own; 124 when --timeout expired (the guest was killed); 2 bad usage;\n"
    "3 when UML is not installed or the guest failed to boot (the message quotes the console).",
    "examples:\n"
    "  tcplab vm run -- tc qdisc add dev lo root netem delay 10ms\n"
    "  tcplab vm run --rw \"$PWD/out\" --timeout 300 -- ./build/app/tcplab scenario run loss10 "
    "--backend tc --out \"$PWD/out\"\n"
    "  tcplab vm run --rw build --env TCPLAB_REQUIRE_NETEM=1 -- build/tests/integration_netem "
    "--gtest_filter='Tc*'"};

std::pair<std::string, std::string> parse_env(const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw UsageError("--env " + assignment + ": expected NAME=VALUE");
    }
    return {assignment.substr(0, eq), assignment.substr(eq + 1)};
}

int run_vm_run(const Args& args) {
    // Everything after "--" is the guest's argv, untouched by option parsing.
    const auto dashes = std::find(args.begin(), args.end(), "--");
    const Args own(args.begin(), dashes);
    std::vector<std::string> command;
    if (dashes != args.end()) {
        command.assign(dashes + 1, args.end());
    }

    po::options_description options = option_group("options");
    options.add_options()  //
        ("rw", po::value<std::vector<std::string>>()->composing(),
         "host directory writable in the guest at the same path (repeatable)")  //
        ("timeout", po::value<long>()->default_value(600),
         "seconds until the guest is killed, boot and poweroff included")                        //
        ("mem", po::value<std::string>()->default_value("512M"), "guest memory, e.g. 256M, 1G")  //
        ("env", po::value<std::vector<std::string>>()->composing(),
         "NAME=VALUE exported for CMD (repeatable)")  //
        ("console", po::bool_switch(),
         "also show the guest console (kernel messages) on stderr")  //
        ("uml", po::value<std::string>()->default_value("/usr/bin/linux.uml"),
         "the UML kernel binary");
    const auto vm = parse_command_line(kSpec, options, own);
    if (!vm) {
        return kExitOk;
    }
    netem::VmOptions vm_options;
    if (vm->count("rw") != 0U) {
        for (const auto& dir : (*vm)["rw"].as<std::vector<std::string>>()) {
            vm_options.rw_dirs.emplace_back(dir);
        }
    }
    const long timeout = (*vm)["timeout"].as<long>();
    if (timeout <= 0 || timeout > 86400) {
        throw UsageError("--timeout " + std::to_string(timeout) + ": expected 1..86400 seconds");
    }
    vm_options.timeout = std::chrono::seconds(timeout);
    vm_options.memory = (*vm)["mem"].as<std::string>();
    if (vm->count("env") != 0U) {
        for (const auto& assignment : (*vm)["env"].as<std::vector<std::string>>()) {
            vm_options.env.push_back(parse_env(assignment));
        }
    }
    vm_options.uml_binary = (*vm)["uml"].as<std::string>();
    vm_options.command = std::move(command);
    if (vm_options.command.empty()) {
        throw UsageError("no command: put the guest's command after --\nusage: " + kSpec.usage);
    }
    const bool show_console = (*vm)["console"].as<bool>();

    const auto result =
        netem::run_in_vm(vm_options, [&](netem::VmStream stream, std::string_view chunk) {
            switch (stream) {
                case netem::VmStream::command_stdout:
                    std::cout.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                    std::cout.flush();
                    break;
                case netem::VmStream::command_stderr:
                    std::cerr.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                    break;
                case netem::VmStream::console:
                    if (show_console) {
                        std::cerr.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                    }
                    break;
            }
        });
    if (result.timed_out) {
        std::cerr << "tcplab vm: timed out after " << timeout
                  << " s; the guest and all UML processes were killed\n";
        return kExitTimedOut;
    }
    return result.exit_code;
}

}  // namespace

int run_vm(const Args& args) {
    if (args.empty() || args.front() == "--help" || args.front() == "-h") {
        (args.empty() ? std::cerr : std::cout)
            << "usage: " << kSpec.usage << "\n\n"
            << kSpec.description << "\n\n(tcplab vm run --help lists the options)\n";
        return args.empty() ? kExitUsage : kExitOk;
    }
    if (args.front() != "run") {
        throw UsageError("unknown vm command '" + args.front() + "' (expected: run)");
    }
    return run_vm_run(Args(args.begin() + 1, args.end()));
}

}  // namespace tcplab::app
