#include "tests/support/report_text.hpp"

#include <fstream>

namespace tcplab::test_support {

std::string failing_checks(const std::filesystem::path& report_txt, const std::string& prefix) {
    std::ifstream report(report_txt);
    std::string out;
    bool in_failure = false;  // a FAIL line and its wrapped continuation lines
    for (std::string line; std::getline(report, line);) {
        in_failure = line.rfind("  FAIL", 0) == 0 || (in_failure && line.rfind("     ", 0) == 0);
        if (in_failure) {
            out += prefix + line + "\n";
        }
    }
    return out;
}

}  // namespace tcplab::test_support
