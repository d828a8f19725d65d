#pragma once
// What a test prints when a scenario run it started fails: only the failing checks of its
// report.txt (each FAIL line with its wrapped continuation lines), so a CI log cut to its head
// and tail still says which check failed and why.
#include <filesystem>
#include <string>

namespace tcplab::test_support {

// Every line prefixed with `prefix`; empty when the report is missing or every check passed.
std::string failing_checks(const std::filesystem::path& report_txt, const std::string& prefix = "");

}  // namespace tcplab::test_support
