// nftables inside the User-Mode Linux guest: the kernel loads nf_tables, nfnetlink and the nft_*
// expression modules on demand through the guest's modprobe helper, but Debian's user-mode-linux
// 6.1 builds nf_tables with the bridge family only (CONFIG_NF_TABLES_INET/IPV4/IPV6 off), so an
// `inet` table is refused with "Operation not supported" — the words on which the tc backend's
// schedules and the RST suppressor fall back to iptables-legacy (and base/nft_hint explains).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "vm_test_support.hpp"

namespace tcplab::vmtest {
namespace {

using ::testing::HasSubstr;

TEST(VmNftables, ModulesLoadOnDemandAndAnUnsupportedFamilySaysSo) {
    if (const auto reason = uml_unavailable_reason(); !reason.empty()) {
        GTEST_SKIP() << reason;
    }
    if (::access("/usr/sbin/nft", X_OK) != 0) {
        GTEST_SKIP() << "nft (nftables) is not installed";
    }
    // A bridge table with a numgen rule needs nfnetlink, nf_tables and nft_numgen, none of them
    // loaded at boot.
    const ProcessRun run =
        run_tcplab({"vm", "run", "--", "sh", "-c",
                    "nft add table bridge t && "
                    "nft add chain bridge t c '{ type filter hook forward priority 0 ; }' && "
                    "nft add rule bridge t c numgen inc mod 10 lt 3 counter drop || exit 9; "
                    "cut -d' ' -f1 /proc/modules | sort | tr '\\n' ' '; echo; "
                    "nft add table inet t; echo \"inet=$?\""});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_THAT(run.out, HasSubstr("nf_tables "));
    EXPECT_THAT(run.out, HasSubstr("nfnetlink "));
    EXPECT_THAT(run.out, HasSubstr("nft_numgen "));
    if (run.out.find("inet=0") == std::string::npos) {
        EXPECT_THAT(run.err, HasSubstr("Operation not supported"));
    }
    RecordProperty("inet_family", run.out.find("inet=0") != std::string::npos ? "yes" : "no");
}

}  // namespace
}  // namespace tcplab::vmtest
