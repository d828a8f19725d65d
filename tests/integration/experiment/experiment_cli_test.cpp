// `tcplab experiment run` end to end: a 4-run sweep (loss 0/10 x 2 seeds) with 2 jobs, the same
// sweep in two shards merged, and the promise behind sharding — each (cell, seed) drops the same
// data segments wherever it runs (userspace backend: the seed decides).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/files.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"

namespace {

namespace fs = std::filesystem;
using tcplab::test_support::shell;

// results.csv as rows of column -> value, keyed by "loss seed".
std::map<std::string, std::map<std::string, std::string>> rows(const fs::path& csv) {
    std::istringstream in(tcplab::test_support::read_file(csv));
    std::string line;
    std::getline(in, line);
    std::vector<std::string> names;
    for (std::istringstream h(line); std::getline(h, line, ',');) names.push_back(line);
    std::map<std::string, std::map<std::string, std::string>> out;
    while (std::getline(in, line)) {
        std::map<std::string, std::string> row;
        std::istringstream cells(line);
        for (std::size_t i = 0; i < names.size() && std::getline(cells, line, ','); ++i) {
            row[names[i]] = line;
        }
        out[row["loss"] + " " + row["seed"]] = row;
    }
    return out;
}

std::vector<std::string> drops(const fs::path& run) {
    std::ifstream in(run / "report.json");
    return nlohmann::json::parse(in).at("metrics").at("data_segments_dropped");
}

TEST(ExperimentCli, ASweepItsShardsAndTheirMergeAgree) {
    TCPLAB_REQUIRE_ROOT();
    const tcplab::test_support::ScratchDir scratch("experiment");
    const fs::path dir = scratch.path();
    // 5 ms each way: with a round trip to pay per loss, loss costs goodput whatever the host's
    // load (at 0 ms a loaded host's own stalls can outweigh 10% loss on 300 kB).
    std::ofstream(dir / "sweep.ini") << "traffic = kernel-bulk 300000\ndelay = 5\n"
                                        "vary.loss = 0, 10\nseeds = 1-2\n";
    const std::string run = std::string(TCPLAB_BINARY) + " experiment run " +
                            (dir / "sweep.ini").string() + " --backend userspace --jobs 2 ";
    const auto full = shell(run + "--out " + (dir / "full").string() + " 2>&1");
    ASSERT_EQ(full.exit_code, 0) << full.out;
    EXPECT_NE(full.out.find("[4/4]"), std::string::npos) << "progress names runs done/total";
    for (const char* shard : {"1/2", "2/2"}) {
        const std::string out = (dir / ("s" + std::string(1, shard[0]))).string();
        const auto r = shell(run + "--shard " + shard + " --out " + out + " 2>&1");
        ASSERT_EQ(r.exit_code, 0) << r.out;
    }
    const auto merged =
        shell(std::string(TCPLAB_BINARY) + " experiment merge " + (dir / "s1").string() + " " +
              (dir / "s2").string() + " --out " + (dir / "merged").string() + " 2>&1");
    ASSERT_EQ(merged.exit_code, 0) << merged.out;
    const auto f = rows(dir / "full/results.csv");
    const auto m = rows(dir / "merged/results.csv");
    ASSERT_EQ(f.size(), 4U);
    ASSERT_EQ(m.size(), 4U);
    EXPECT_EQ(rows(dir / "s1/results.csv").size() + rows(dir / "s2/results.csv").size(), 4U);
    for (const auto& [key, row] : f) {
        ASSERT_EQ(m.count(key), 1U) << key;
        EXPECT_EQ(row.at("pass"), "true") << key;
        EXPECT_EQ(drops(dir / "full" / row.at("run")), drops(dir / "merged" / m.at(key).at("run")))
            << key << ": the same (cell, seed) must drop the same segments wherever it runs";
    }
    EXPECT_LT(
        std::stod(f.at("10 1").at("goodput_mbps")) + std::stod(f.at("10 2").at("goodput_mbps")),
        std::stod(f.at("0 1").at("goodput_mbps")) + std::stod(f.at("0 2").at("goodput_mbps")))
        << "goodput falls with loss";
    EXPECT_FALSE(drops(dir / "full" / f.at("10 1").at("run")).empty());
    EXPECT_TRUE(fs::exists(dir / "merged/index.html"));
    EXPECT_TRUE(fs::exists(dir / "merged/summary.csv"));
    // --resume runs nothing again.
    const auto resumed = shell(run + "--resume --out " + (dir / "full").string() + " 2>&1");
    EXPECT_EQ(resumed.exit_code, 0) << resumed.out;
}

TEST(ExperimentCli, ShardsOfAnotherExperimentAreRefused) {
    TCPLAB_REQUIRE_ROOT();
    const tcplab::test_support::ScratchDir scratch("experiment-mix");
    const fs::path dir = scratch.path();
    for (const char* name : {"a", "b"}) {
        fs::create_directories(dir / name);
        std::ofstream(dir / name / "experiment.ini")
            << "traffic = kernel-bulk 1000\nvary.loss = 0, " << (name[0] == 'a' ? 5 : 6) << "\n";
        std::ofstream(dir / name / "plan.json") << "{\"fingerprint\": \"" << name << "\"}";
    }
    const auto r = shell(std::string(TCPLAB_BINARY) + " experiment merge " + (dir / "a").string() +
                         " " + (dir / "b").string() + " --out " + (dir / "m").string() + " 2>&1");
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find("is not a shard of the same experiment"), std::string::npos) << r.out;
}

}  // namespace
