#pragma once
// RstSuppressor: while the user-space client owns a crafted port, the kernel of the same namespace
// knows no socket for it and answers every SYN-ACK with a RST. This RAII guard installs an
// nftables table (its own, named per process and port) whose output-chain rule drops those RSTs,
// and deletes the table on destruction, also when an exception unwinds. Packets the generator sends
// itself carry kGeneratorMark and pass, so `--rst` still works.
#include <cstdint>
#include <string>
#include <vector>

namespace tcplab::gen {

class RstSuppressor {
public:
    // Throws EnvironmentError when nft is missing or refuses (needs CAP_NET_ADMIN).
    explicit RstSuppressor(std::uint16_t source_port);
    ~RstSuppressor();
    RstSuppressor(const RstSuppressor&) = delete;
    RstSuppressor& operator=(const RstSuppressor&) = delete;

    const std::string& table() const { return table_; }

    // The commands, exposed for --dry-run and unit tests.
    static std::string table_name(int pid, std::uint16_t source_port);
    static std::vector<std::vector<std::string>> install_commands(const std::string& table,
                                                                  std::uint16_t source_port);
    static std::vector<std::string> remove_command(const std::string& table);

private:
    std::string table_;
    bool installed_ = false;
};

}  // namespace tcplab::gen
