#include "base/nft_hint.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace tcplab {

std::string nft_unsupported_family_hint(const Argv& argv, const CommandResult& result) {
    if (result.exit_code == 0 || result.err.find("Operation not supported") == std::string::npos) {
        return {};
    }
    // The nft words: everything after the (possibly `ip netns exec NS`-prefixed) "nft".
    const auto nft_at = std::find(argv.begin(), argv.end(), "nft");
    if (nft_at == argv.end()) {
        return {};
    }
    constexpr std::array<std::string_view, 5> kFamilies = {"inet", "ip", "ip6", "netdev", "arp"};
    std::string family;
    for (auto it = nft_at + 1; it != argv.end() && it + 1 != argv.end(); ++it) {
        if (*it == "table" || *it == "chain" || *it == "rule") {
            if (std::find(kFamilies.begin(), kFamilies.end(), *(it + 1)) != kFamilies.end()) {
                family = *(it + 1);
            }
            break;
        }
    }
    if (family.empty()) {
        return {};
    }
    return "this kernel's nf_tables has no '" + family +
           "' family (built without CONFIG_NF_TABLES_" +
           (family == "inet"     ? std::string("INET")
            : family == "ip"     ? std::string("IPV4")
            : family == "ip6"    ? std::string("IPV6")
            : family == "netdev" ? std::string("NETDEV")
                                 : std::string("ARP")) +
           ", which no module can add; Debian's user-mode-linux kernel behind --vm is built so)";
}

}  // namespace tcplab
