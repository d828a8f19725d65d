// One way to summarise a sample: the experiment's confidence intervals and the --repeat table's
// spread both come from here.
#include "base/sample_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace tcplab {
namespace {

TEST(SampleStats, MeanMedianSpreadAndAStudentTInterval) {
    const SampleStats s = sample_stats({4, 1, 3, 2});
    EXPECT_EQ(s.n, 4U);
    EXPECT_DOUBLE_EQ(s.min, 1);
    EXPECT_DOUBLE_EQ(s.max, 4);
    EXPECT_DOUBLE_EQ(s.mean, 2.5);
    EXPECT_DOUBLE_EQ(s.median, 2.5);
    EXPECT_NEAR(s.sd, 1.290994, 1e-6);
    EXPECT_NEAR(s.ci_high - s.mean, 3.182 * 1.290994 / 2, 1e-4);  // t(0.975, 3) = 3.182
    EXPECT_NEAR(s.mean - s.ci_low, s.ci_high - s.mean, 1e-12);
}

TEST(SampleStats, OddCountsEmptyAndSingleSamples) {
    EXPECT_DOUBLE_EQ(sample_stats({9, 1, 5}).median, 5);
    EXPECT_EQ(sample_stats({}).n, 0U);
    const SampleStats one = sample_stats({5});
    EXPECT_DOUBLE_EQ(one.sd, 0);
    EXPECT_DOUBLE_EQ(one.ci_low, 5);
    EXPECT_DOUBLE_EQ(one.ci_high, 5);
}

TEST(SampleStats, BeyondThirtyDegreesOfFreedomTheNormalQuantile) {
    std::vector<double> v;
    for (int i = 0; i < 41; ++i) {
        v.push_back(i % 2 == 0 ? 0 : 2);
    }
    const SampleStats s = sample_stats(v);
    EXPECT_NEAR(s.ci_high - s.mean, 1.96 * s.sd / std::sqrt(41.0), 1e-9);
}

}  // namespace
}  // namespace tcplab
