// Experiment files: vary lines and seeds make the plan; the plan and its shards are a pure
// function of the file; a bad line names file:line; the tables and the report say what ran.
#include "experiment/plan.hpp"

#include <gtest/gtest.h>

#include <set>

#include "base/errors.hpp"
#include "experiment/html_report.hpp"
#include "experiment/results.hpp"

namespace tcplab::experiment {
namespace {

const char* kSweep =
    "description = sweep\n"
    "traffic = kernel-bulk 1000\n"
    "vary.loss = 0, 5, 10\n"
    "vary.cc = cubic, reno\n"
    "seeds = 1-2, 7\n";

TEST(ExperimentPlan, TheCrossProductOfVariedValuesTimesSeeds) {
    const ExperimentSpec spec = parse_experiment(kSweep, "sweep.ini");
    ASSERT_EQ(spec.vary.size(), 2U);
    EXPECT_EQ(spec.seeds, (std::vector<std::uint64_t>{1, 2, 7}));
    const auto runs = plan_runs(spec);
    ASSERT_EQ(runs.size(), 18U);
    EXPECT_EQ(runs[0].dir, "loss-0_cc-cubic/seed-1");
    EXPECT_EQ(runs[17].dir, "loss-10_cc-reno/seed-7");
    EXPECT_EQ(runs[4].flags(),
              (std::vector<std::string>{"--loss", "0", "--cc", "reno", "--seed", "2"}));
    EXPECT_EQ(spec.scenario_text.find("vary."), std::string::npos);
}

TEST(ExperimentPlan, ShardsCoverThePlanOnceAndAreDeterministic) {
    const auto runs = plan_runs(parse_experiment(kSweep, "sweep.ini"));
    std::set<std::size_t> seen;
    for (int i = 1; i <= 4; ++i) {
        for (const auto& r : shard_of(runs, i, 4)) {
            EXPECT_TRUE(seen.insert(r.index).second) << "run " << r.index << " in two shards";
        }
    }
    EXPECT_EQ(seen.size(), runs.size());
    EXPECT_EQ(shard_of(runs, 2, 4).front().dir, shard_of(runs, 2, 4).front().dir);
    EXPECT_EQ(parse_shard("2/4"), (std::pair<int, int>{2, 4}));
    for (const char* bad : {"0/4", "5/4", "2", "a/b", "2/4x"}) {
        EXPECT_THROW(parse_shard(bad), UsageError) << bad;
    }
}

TEST(ExperimentPlan, BadLinesNameFileAndLine) {
    auto error = [](const std::string& text) {
        try {
            parse_experiment(text, "x.ini");
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error("traffic = kernel-bulk 1\nseeds = 1-x\n").find("x.ini:2: seeds"),
              std::string::npos);
    EXPECT_NE(error("traffic = kernel-bulk 1\nvary.loss =\n").find("x.ini:2: vary.loss: no values"),
              std::string::npos);
    EXPECT_NE(error("traffic = kernel-bulk 1\nvary.loss = 1,2,3,4,5,6,7,8,9,10\n"
                    "vary.delay = 1,2,3,4,5,6,7,8,9,10\nseeds = 1-9999\n")
                  .find("999900 runs (cells x seeds); at most 100000"),
              std::string::npos);
    // A varied value the scenario parser refuses fails before anything runs.
    EXPECT_NE(error("traffic = kernel-bulk 1\nvary.loss = 5, 150\n").find("loss"),
              std::string::npos);
}

TEST(ExperimentResults, TablesAndReportNameEveryRunAndCell) {
    const ExperimentSpec spec = parse_experiment(kSweep, "sweep.ini");
    std::vector<RunResult> results;
    for (const auto& run : plan_runs(spec)) {
        RunResult r;
        r.run = run;
        r.finished = true;
        r.pass = run.index != 3;
        const double loss = std::stod(run.cell[0].second);
        r.figures = {100 / (1 + loss), loss * 3, loss, 0.2, 1.0, loss / 100, loss / 100, 0.5, 0.5};
        r.rtos_s = {0.2, 0.21};
        results.push_back(r);
    }
    const std::string csv = results_csv(spec, results);
    EXPECT_EQ(csv.substr(0, csv.find('\n')),
              "loss,cc,seed,pass,run,goodput_mbps,retransmissions,data_segments_dropped,"
              "rto_median_s,handshake_ms,c2s_loss,s2c_loss,c2s_delay_ms,s2c_delay_ms");
    EXPECT_NE(csv.find("0,reno,1,false,loss-0_cc-reno/seed-1,100,"), std::string::npos) << csv;
    const auto cells = summarize(results);
    ASSERT_EQ(cells.size(), 6U);
    EXPECT_EQ(cells[1].runs, 3U);
    EXPECT_EQ(cells[1].passed, 2U);
    const std::string summary = summary_csv(spec, cells);
    EXPECT_NE(summary.find("goodput_mbps_ci95_high"), std::string::npos);
    const std::string html = html_report(spec, results, cells);
    EXPECT_NE(html.find("<svg"), std::string::npos);
    EXPECT_NE(html.find("Mathis bound"), std::string::npos);
    EXPECT_NE(html.find("href=\"loss-10_cc-reno/seed-7/timeseq.svg\""), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("src="), std::string::npos) << "nothing loaded from anywhere";
    EXPECT_EQ(html.find("href=\"http"), std::string::npos) << "nothing from the network";
}

}  // namespace
}  // namespace tcplab::experiment
