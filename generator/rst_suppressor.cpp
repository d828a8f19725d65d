#include "generator/detail/rst_suppressor.hpp"

#include <unistd.h>

#include <cstdio>

#include "base/command.hpp"
#include "base/errors.hpp"
#include "base/nft_hint.hpp"
#include "generator/detail/raw_socket.hpp"

namespace tcplab::gen {

std::string RstSuppressor::table_name(int pid, std::uint16_t source_port) {
    return "tcplab_gen_" + std::to_string(pid) + "_" + std::to_string(source_port);
}

std::vector<std::vector<std::string>> RstSuppressor::install_commands(const std::string& table,
                                                                      std::uint16_t source_port) {
    char mark[16];
    std::snprintf(mark, sizeof mark, "0x%x", kGeneratorMark);
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
         mark,
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

RstSuppressor::RstSuppressor(std::uint16_t source_port)
    : table_(table_name(static_cast<int>(::getpid()), source_port)) {
    // A table left behind by a killed run with the same pid and port would make "add" ambiguous.
    (void)system_runner().run(remove_command(table_), /*check=*/false);
    installed_ = true;  // from here on the destructor removes whatever was created
    for (const auto& argv : install_commands(table_, source_port)) {
        const auto result = system_runner().run(argv, /*check=*/false);
        if (result.exit_code != 0) {
            (void)system_runner().run(remove_command(table_), /*check=*/false);
            installed_ = false;
            const std::string hint = nft_unsupported_family_hint(argv, result);
            throw EnvironmentError("cannot install the RST-suppressing nftables rule (" +
                                   format_command(argv) + "): " + stderr_text(result) +
                                   (hint.empty() ? " (needs root / CAP_NET_ADMIN)"
                                                 : "\n  " + hint +
                                                       "; crafted handshakes need a kernel "
                                                       "with it (run without --vm)"));
        }
    }
}

RstSuppressor::~RstSuppressor() {
    if (installed_) {
        try {
            (void)system_runner().run(remove_command(table_), /*check=*/false);
        } catch (...) {
            // A destructor cannot report; the table name says which run left it behind.
        }
    }
}

}  // namespace tcplab::gen
