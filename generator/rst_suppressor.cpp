#include "generator/detail/rst_suppressor.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>

#include "base/errors.hpp"
#include "base/nft_hint.hpp"
#include "generator/detail/raw_socket.hpp"

namespace tcplab::gen {

namespace {

std::string mark_hex() {
    std::array<char, 16> mark{};
    std::snprintf(mark.data(), mark.size(), "0x%x", kGeneratorMark);
    return mark.data();
}

constexpr std::array<const char*, 2> kIptables = {"iptables-legacy", "ip6tables-legacy"};

// Runs argv unchecked; a tool that cannot be started at all counts as a failed run (exit 127)
// so the caller can try the other mechanism.
CommandResult run_unchecked(CommandRunner& runner, const Argv& argv) {
    try {
        return runner.run(argv, /*check=*/false);
    } catch (const EnvironmentError& e) {
        return {127, "", e.what()};
    }
}

}  // namespace

std::string RstSuppressor::table_name(int pid, std::uint16_t source_port) {
    return "tcplab_gen_" + std::to_string(pid) + "_" + std::to_string(source_port);
}

std::vector<std::vector<std::string>> RstSuppressor::install_commands(const std::string& table,
                                                                      std::uint16_t source_port) {
    return {
        {"nft", "add", "table", "inet", table},
        {"nft", "add", "chain", "inet", table, "out",
         "{ type filter hook output priority 0 ; policy accept ; }"},
        {"nft",
         "add",
         "rule",
         "inet",
         table,
         "out",
         "meta",
         "mark",
         "!=",
         mark_hex(),
         "tcp",
         "sport",
         std::to_string(source_port),
         "tcp",
         "flags",
         "&",
         "rst",
         "==",
         "rst",
         "drop"},
    };
}

std::vector<std::string> RstSuppressor::remove_command(const std::string& table) {
    return {"nft", "delete", "table", "inet", table};
}

std::vector<std::vector<std::string>> RstSuppressor::iptables_install_commands(
    const std::string& chain, std::uint16_t source_port) {
    std::vector<Argv> out;
    for (const char* tool : kIptables) {
        out.push_back({tool, "-w", "-N", chain});
        out.push_back({tool, "-w", "-A", chain, "-p", "tcp", "--sport", std::to_string(source_port),
                       "--tcp-flags", "RST", "RST", "-m", "mark", "!", "--mark", mark_hex(), "-j",
                       "DROP"});
        // Inserted first, so no earlier OUTPUT rule can accept the RST before it is seen.
        out.push_back({tool, "-w", "-I", "OUTPUT", "-j", chain});
    }
    return out;
}

std::vector<std::vector<std::string>> RstSuppressor::iptables_remove_commands(
    const std::string& chain) {
    std::vector<Argv> out;
    for (const char* tool : kIptables) {
        out.push_back({tool, "-w", "-D", "OUTPUT", "-j", chain});
        out.push_back({tool, "-w", "-F", chain});
        out.push_back({tool, "-w", "-X", chain});
    }
    return out;
}

void RstSuppressor::install_nftables(std::uint16_t source_port, std::string& failure) {
    // A table left behind by a killed run with the same pid and port would make "add" ambiguous.
    (void)run_unchecked(*runner_, remove_command(table_));
    mechanism_ = Mechanism::nftables;  // from here on remove() deletes whatever was created
    for (const auto& argv : install_commands(table_, source_port)) {
        const auto result = run_unchecked(*runner_, argv);
        if (result.exit_code != 0) {
            remove();
            const std::string hint = nft_unsupported_family_hint(argv, result);
            failure = format_command(argv) + ": " + stderr_text(result) +
                      (hint.empty() ? "" : " (" + hint + ")");
            return;
        }
    }
}

void RstSuppressor::install_iptables(std::uint16_t source_port, std::string& failure) {
    mechanism_ = Mechanism::iptables_legacy;
    remove();  // a chain of the same name left by a killed run
    mechanism_ = Mechanism::iptables_legacy;
    for (const auto& argv : iptables_install_commands(table_, source_port)) {
        const auto result = run_unchecked(*runner_, argv);
        if (result.exit_code != 0) {
            remove();
            failure = format_command(argv) + ": " + stderr_text(result);
            return;
        }
    }
}

RstSuppressor::RstSuppressor(std::uint16_t source_port, CommandRunner* runner)
    : runner_(runner != nullptr ? runner : &system_runner()),
      table_(table_name(static_cast<int>(::getpid()), source_port)) {
    std::string nft_failure;
    install_nftables(source_port, nft_failure);
    if (mechanism_ != Mechanism::none) {
        return;
    }
    std::string iptables_failure;
    install_iptables(source_port, iptables_failure);
    if (mechanism_ != Mechanism::none) {
        return;
    }
    throw EnvironmentError(
        "cannot install the rule that keeps the kernel from resetting crafted port " +
        std::to_string(source_port) + " (needs root / CAP_NET_ADMIN, and nftables with the " +
        "inet family or iptables-legacy):\n  " + nft_failure + "\n  " + iptables_failure);
}

void RstSuppressor::remove() noexcept {
    const Mechanism was = mechanism_;
    mechanism_ = Mechanism::none;
    try {
        if (was == Mechanism::nftables) {
            (void)run_unchecked(*runner_, remove_command(table_));
        } else if (was == Mechanism::iptables_legacy) {
            for (const auto& argv : iptables_remove_commands(table_)) {
                (void)run_unchecked(*runner_, argv);
            }
        }
    } catch (...) {
        // Best effort (also from the destructor); the name says which run left it behind.
    }
}

RstSuppressor::~RstSuppressor() { remove(); }

}  // namespace tcplab::gen
