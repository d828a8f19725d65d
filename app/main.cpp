// tcplab: one binary, one subcommand per library. main() only dispatches and maps errors to the
// exit-code contract of docs/CLI.md; the work happens in the libraries.
#include <cstring>
#include <exception>
#include <iostream>
#include <string_view>

#include "app/commands.hpp"
#include "base/errors.hpp"

namespace {

using tcplab::app::Args;

struct Subcommand {
    std::string_view name;
    int (*run)(const Args&);
    std::string_view summary;
};

constexpr Subcommand kSubcommands[] = {
    {"analyze", tcplab::app::run_analyze,
     "TCP analysis of pcap/pcapng files (handshake, teardown, retransmissions, RTO)"},
    {"ca", tcplab::app::run_ca,
     "certificate authority: init, issue server/client certificates, show"},
    {"tls", tcplab::app::run_tls, "mTLS server and client (greeting, echo, sink; bulk transfer)"},
    {"gen", tcplab::app::run_gen,
     "raw-socket packet crafting: syn, handshake, data, fin, rst, flood"},
    {"net", tcplab::app::run_net, "client-router-server namespaces: up, down, status, exec"},
    {"scenario", tcplab::app::run_scenario,
     "run a loss experiment and check verdicts against injected faults"},
    {"experiment", tcplab::app::run_experiment,
     "parameter sweeps of scenarios: results, statistics, plots; shards and merge"},
    {"vm", tcplab::app::run_vm, "run a command inside a User-Mode Linux guest with real sch_netem"},
};

void print_usage(std::ostream& out) {
    out << "usage: tcplab <command> [options]   (tcplab <command> --help for details)\n\n"
           "tcplab makes TCP loss experiments reproducible on one Linux host.\n\ncommands:\n";
    for (const auto& sub : kSubcommands) {
        out << "  " << sub.name << std::string(12 - sub.name.size(), ' ') << sub.summary << "\n";
    }
    out << "\noptions:\n  -h, --help     show this help\n  --version      print the version\n"
           "\nexit codes: 0 ok / scenario passed, 1 a check failed, 2 bad usage or input,"
           " 3 environment problem\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        print_usage(std::cerr);
        return tcplab::kExitUsage;
    }
    const std::string_view first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
        print_usage(std::cout);
        return tcplab::kExitOk;
    }
    if (first == "--version") {
        std::cout << "tcplab " << TCPLAB_VERSION << "\n";
        return tcplab::kExitOk;
    }
    const Args args(argv + 2, argv + argc);
    for (const auto& sub : kSubcommands) {
        if (sub.name != first) {
            continue;
        }
        try {
            return sub.run(args);
        } catch (const tcplab::UsageError& e) {
            std::cerr << "tcplab " << first << ": " << e.what() << "\n";
            return tcplab::kExitUsage;
        } catch (const tcplab::EnvironmentError& e) {
            std::cerr << "tcplab " << first << ": " << e.what() << "\n";
            return tcplab::kExitEnvironment;
        } catch (const tcplab::SystemError& e) {
            std::cerr << "tcplab " << first << ": " << e.what() << "\n";
            return tcplab::kExitEnvironment;
        } catch (const std::exception& e) {
            std::cerr << "tcplab " << first << ": internal error: " << e.what() << "\n";
            return tcplab::kExitEnvironment;
        }
    }
    std::cerr << "tcplab: unknown command '" << first << "'\n\n";
    print_usage(std::cerr);
    return tcplab::kExitUsage;
}
