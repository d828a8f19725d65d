// `tcplab net status` data (lab_status.hpp) and `net up --dry-run` (impaired_lab.hpp) without
// root: a private state directory and a DryRunRunner.
#include "netem/lab/lab_status.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "netem/impair/impaired_lab.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace tcplab::netem;

TEST(LabStatus, SortsRunsByStateAndListsStaleRemovalsInReverse) {
    const ::tcplab::test_support::ScratchDir scratch{"lab-status-test"};
    auto live = RunStateFile::claim(scratch.path(), 5);
    ASSERT_TRUE(live);
    live->add({"netns", "", "tl5-cli"});
    live->add({"link", "tl5-cli", "veth-c"});
    std::ofstream(scratch.path() / "run-6.json") << "{ truncated";

    StaleOptions options;
    options.state_dir = scratch.path();
    options.only_ids = std::set<int>{5, 6};
    const LabStatus status = lab_status(options);
    ASSERT_EQ(status.live.size(), 1U);
    EXPECT_EQ(status.live[0].run_id, 5);
    EXPECT_TRUE(status.stale.empty());
    ASSERT_EQ(status.unreadable.size(), 1U);
    EXPECT_EQ(stale_removals(status.live[0]),
              (std::vector<std::string>{"link tl5-cli/veth-c", "netns tl5-cli"}));

    const nlohmann::json doc = to_json(status);
    EXPECT_EQ(doc["state_dir"], scratch.path().string());
    EXPECT_EQ(doc["live"][0]["state"], "running");
    EXPECT_EQ(doc["live"][0]["objects"][1], "link tl5-cli/veth-c");
    EXPECT_EQ(doc["unreadable"][0]["run_id"], 6);
    EXPECT_TRUE(doc["stale"].empty());
}

TEST(ImpairedLab, DryRunAppliesTcAfterTheTopology) {
    LabOptions options;
    options.topology.run_id = 9;
    options.topology.state_dir = std::filesystem::temp_directory_path() / "tcplab-unit-no-state";
    const std::size_t bare = dry_run(options).commands.size();
    options.impairment.client_to_server.loss_percent = 10;
    EXPECT_TRUE(options.impaired());
    check_impairment(options);
    const LabDryRun plan = dry_run(options);
    ASSERT_GT(plan.commands.size(), bare);
    EXPECT_EQ(plan.commands[bare][0], "tc");
}
