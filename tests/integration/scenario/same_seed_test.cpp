// Reproducibility (issue 8, item 5): `tcplab scenario run NAME --repeat 2` runs a scenario twice
// with the same seed, and the path must drop the same data segments both times — named by
// direction, server port, relative seq, length and transmission number, as report.json's
// `injected` list names them. Real kernel TCP on both ends, so this holds only because the
// decider names segments by what repeats (not ports, ISNs or timing) and the senders make
// segment boundaries independent of timing: kernel bulk (the main job, loss10) sends one corked
// MSS per send(); mTLS bulk (tls-loss10) runs corked with buffers that never fill
// (netem/traffic_kernel_bulk.cpp, netem/scenario_traffic.cpp).
//
// What may differ between the runs, and why, is printed: a pure ACK is named by the byte it
// acknowledges (and the occurrence of that ack), and which bytes a receiver acknowledges (delayed
// ACKs, quick ACKs) depends on timing; the ACKs both runs send get the same verdict.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/scratch_dir.hpp"

namespace {

namespace fs = std::filesystem;

struct RunFaults {
    std::vector<std::string> data_drops;   // the metrics' run-independent names
    std::set<std::string> injected;        // every injected fault, PSH & co. left out
};

RunFaults read_run(const fs::path& dir) {
    std::ifstream in(dir / "report.json");
    const auto report = nlohmann::json::parse(in);
    RunFaults run;
    run.data_drops = report.at("metrics").at("data_segments_dropped").get<std::vector<std::string>>();
    for (const auto& fault : report.at("injected")) {
        std::string flags = fault.value("flags", "");
        if (const auto psh = flags.find("PSH, "); psh != std::string::npos) flags.erase(psh, 5);
        run.injected.insert(fault.value("direction", "") + " " + fault.value("action", "") + " seq " +
                            std::to_string(fault.value("relative_seq", 0L)) +
                            (fault.contains("relative_ack") ? " ack " + std::to_string(fault.value("relative_ack", 0L)) : "") +
                            " " + flags + " len " +
                            std::to_string(fault.value("len", 0)) + " #" +
                            std::to_string(fault.value("transmission", 0)));
    }
    return run;
}

std::string difference(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::vector<std::string> only;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only));
    std::string out;
    for (const auto& s : only) out += "    " + s + "\n";
    return out.empty() ? "    (none)\n" : out;
}

class SameSeed : public ::testing::TestWithParam<const char*> {};

TEST_P(SameSeed, DropsTheSameDataSegmentsInEveryRun) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (scenario run creates namespaces)";
    const tcplab::test_support::ScratchDir scratch("same-seed");
    const fs::path& out = scratch.path();
    const std::string command = std::string(TCPLAB_BINARY) + " scenario run " + GetParam() + " --repeat 2 --quiet --out " +
                                out.string() + "/runs 2>&1";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
    const int status = ::pclose(pipe);
    ASSERT_EQ(status, 0) << output;

    const RunFaults first = read_run(out / "runs" / "run-1");
    const RunFaults second = read_run(out / "runs" / "run-2");
    EXPECT_GE(first.data_drops.size(), 5U) << "10% loss over a transfer of 300-500 kB drops a few dozen segments";
    EXPECT_EQ(first.data_drops, second.data_drops) << output;
    EXPECT_NE(output.find("1 of 1 later runs dropped exactly the data segments run 1 dropped"), std::string::npos)
        << output;
    std::cout << "data segments dropped in both runs: " << first.data_drops.size() << "\n"
              << "injected faults: run 1 " << first.injected.size() << ", run 2 " << second.injected.size()
              << "\n  only in run 1:\n" << difference(first.injected, second.injected)
              << "  only in run 2:\n" << difference(second.injected, first.injected);
}

INSTANTIATE_TEST_SUITE_P(Scenario, SameSeed, ::testing::Values("loss10", "tls-loss10"),
                         [](const auto& info) { return std::string(info.param) == "loss10" ? "Loss10" : "TlsLoss10"; });

}  // namespace
