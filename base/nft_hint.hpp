#pragma once
// Explaining an `nft` failure that says nothing useful on its own.
//
// `nft add table inet|ip|ip6|netdev ...` fails with "Operation not supported" when the running
// kernel's nf_tables was built without that family (CONFIG_NF_TABLES_INET/_IPV4/_IPV6/_NETDEV are
// bool options compiled into nf_tables.ko itself, so no module can add them later). Debian's
// user-mode-linux 6.1 kernel, which `--vm` boots, is such a kernel: its nf_tables knows only the
// bridge family. nf_tables and its expression modules do load on demand there; tables do not.
#include <string>

#include "base/command.hpp"

namespace tcplab {

// When `result` is a failed nft command whose stderr shows the kernel refused the table's family,
// a sentence saying so (to append to the error); empty otherwise.
std::string nft_unsupported_family_hint(const Argv& argv, const CommandResult& result);

}  // namespace tcplab
