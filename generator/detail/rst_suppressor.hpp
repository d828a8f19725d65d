#pragma once
// RstSuppressor: while the user-space client owns a crafted port, the kernel of the same namespace
// knows no socket for it and answers every SYN-ACK with a RST. This RAII guard installs a rule
// that drops those RSTs and removes it on destruction, also when an exception unwinds. Packets the
// generator sends itself carry kGeneratorMark and pass, so `--rst` still works.
//
// The rule is an nftables table of its own (named per process and port) with an output-chain
// rule. Where nftables refuses the inet table (a kernel whose nf_tables lacks the family, such as
// Debian's user-mode-linux kernel behind --vm) or nft cannot run, the same rule goes into an
// iptables-legacy chain of the same name in the OUTPUT hook, for IPv4 and IPv6.
#include <cstdint>
#include <string>
#include <vector>

#include "base/command.hpp"

namespace tcplab::gen {

class RstSuppressor {
public:
    enum class Mechanism { none, nftables, iptables_legacy };

    // Throws EnvironmentError when neither nft nor iptables-legacy can install the rule (the
    // message quotes both failures). `runner` defaults to system_runner().
    explicit RstSuppressor(std::uint16_t source_port, CommandRunner* runner = nullptr);
    ~RstSuppressor();
    RstSuppressor(const RstSuppressor&) = delete;
    RstSuppressor& operator=(const RstSuppressor&) = delete;

    const std::string& table() const { return table_; }
    Mechanism mechanism() const { return mechanism_; }

    // The commands, exposed for --dry-run and unit tests.
    static std::string table_name(int pid, std::uint16_t source_port);
    static std::vector<std::vector<std::string>> install_commands(const std::string& table,
                                                                  std::uint16_t source_port);
    static std::vector<std::string> remove_command(const std::string& table);
    // The iptables-legacy form: `chain` (the table name, <= 28 characters) in both families.
    static std::vector<std::vector<std::string>> iptables_install_commands(
        const std::string& chain, std::uint16_t source_port);
    static std::vector<std::vector<std::string>> iptables_remove_commands(const std::string& chain);

private:
    void install_nftables(std::uint16_t source_port, std::string& failure);
    void install_iptables(std::uint16_t source_port, std::string& failure);
    void remove() noexcept;

    CommandRunner* runner_;
    std::string table_;
    Mechanism mechanism_ = Mechanism::none;
};

}  // namespace tcplab::gen
