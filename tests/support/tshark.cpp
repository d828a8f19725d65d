#include "tests/support/tshark.hpp"

#include <chrono>
#include <sstream>

#include "base/command.hpp"

namespace tcplab::test_support {

namespace {

// Two-pass analysis of a long capture takes a while on a loaded machine.
std::string tshark(const Argv& argv, bool check) {
    SystemRunner runner(std::chrono::minutes(2));
    return runner.run(argv, check).out;
}

}  // namespace

int tshark_count(const std::filesystem::path& file, const std::string& filter) {
    const auto out = tshark(
        {"tshark", "-n", "-r", file.string(), "-Y", filter, "-T", "fields", "-e", "frame.number"},
        true);
    int lines = 0;
    for (char c : out) lines += c == '\n';
    return lines;
}

std::vector<std::string> tshark_fields(const std::filesystem::path& file,
                                       const std::vector<std::string>& fields,
                                       const std::string& filter, bool two_pass, bool relative) {
    Argv argv = {"tshark", "-n",
                 "-r",     file.string(),
                 "-o",     "tcp.check_checksum:TRUE",
                 "-o",     "ip.check_checksum:TRUE",
                 "-T",     "fields"};
    if (!relative) {
        argv.insert(argv.end(), {"-o", "tcp.relative_sequence_numbers:FALSE"});
    }
    if (two_pass) {
        argv.push_back("-2");
    }
    for (const auto& f : fields) {
        argv.push_back("-e");
        argv.push_back(f);
    }
    if (!filter.empty()) {
        argv.push_back(two_pass ? "-R" : "-Y");
        argv.push_back(filter);
    }
    std::vector<std::string> lines;
    std::istringstream in(tshark(argv, false));
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

std::string tshark_expected_tsv(const std::filesystem::path& file) {
    const auto out = tshark(
        {"bash", std::string(TCPLAB_SOURCE_DIR) + "/scripts/tshark_expected.sh", file.string()},
        false);
    std::istringstream lines(out);
    std::string rows;
    for (std::string line; std::getline(lines, line);)
        if (!line.starts_with("#")) rows += line + "\n";
    return rows;
}

}  // namespace tcplab::test_support
