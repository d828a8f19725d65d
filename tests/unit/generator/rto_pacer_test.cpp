// RtoEstimator (RFC 6298 with Linux bounds) and Pacer (rate control) — pure arithmetic.
#include <gtest/gtest.h>

#include "generator/detail/pacer.hpp"
#include "generator/detail/rto.hpp"

namespace tcplab::gen {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(RtoEstimator, StartsAtOneSecondAndDoublesOnEachExpiry) {
    RtoEstimator rto;
    EXPECT_EQ(rto.rto(), std::chrono::seconds(1));
    rto.back_off();
    EXPECT_EQ(rto.rto(), std::chrono::seconds(2));
    rto.back_off();
    EXPECT_EQ(rto.rto(), std::chrono::seconds(4));
    for (int i = 0; i < 20; ++i) {
        rto.back_off();
    }
    EXPECT_EQ(rto.rto(), RtoEstimator::kMax);
}

TEST(RtoEstimator, FirstSampleGivesSrttPlusFourRttvar) {
    RtoEstimator rto;
    rto.on_rtt_sample(milliseconds(100));  // SRTT 100, RTTVAR 50 -> 100 + 200 = 300 ms
    EXPECT_EQ(rto.srtt(), milliseconds(100));
    EXPECT_EQ(rto.rto(), milliseconds(300));
}

TEST(RtoEstimator, LaterSamplesSmoothWithAlphaAndBeta) {
    RtoEstimator rto;
    rto.on_rtt_sample(milliseconds(100));
    rto.on_rtt_sample(milliseconds(200));
    // RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
    EXPECT_EQ(rto.srtt(), microseconds(112500));
    EXPECT_EQ(rto.rto(), microseconds(112500 + 4 * 62500));
}

TEST(RtoEstimator, LoopbackRttsAreClampedToLinuxMinimum) {
    RtoEstimator rto;
    rto.on_rtt_sample(microseconds(40));
    EXPECT_EQ(rto.rto(), RtoEstimator::kMin);
}

TEST(RtoEstimator, ForwardProgressDropsTheBackoff) {
    RtoEstimator rto;
    rto.back_off();
    rto.reset_backoff();
    EXPECT_EQ(rto.rto(), RtoEstimator::kInitial);  // no sample yet
    rto.on_rtt_sample(milliseconds(100));
    rto.back_off();
    rto.back_off();
    EXPECT_EQ(rto.rto(), milliseconds(1200));
    rto.reset_backoff();
    EXPECT_EQ(rto.rto(), milliseconds(300));
}

TEST(Pacer, MaxRateAlwaysAllowsAFullBatch) {
    const auto t0 = Pacer::Clock::now();
    Pacer pacer(0, t0);
    EXPECT_EQ(pacer.due(t0, 64), 64u);
    EXPECT_EQ(pacer.wait(t0), Pacer::Clock::duration::zero());
}

TEST(Pacer, HoldsTheRequestedRate) {
    const auto t0 = Pacer::Clock::now();
    Pacer pacer(1000, t0);             // one packet per millisecond
    EXPECT_EQ(pacer.due(t0, 64), 1u);  // packet 0 is due at the start
    pacer.sent(1);
    EXPECT_EQ(pacer.due(t0, 64), 0u);
    EXPECT_EQ(pacer.wait(t0), std::chrono::milliseconds(1));
    EXPECT_EQ(pacer.due(t0 + microseconds(10500), 64), 10u);  // packets 1..10 are due by 10.5 ms
}

TEST(Pacer, CatchesUpAfterAStallInBatchSizedSteps) {
    const auto t0 = Pacer::Clock::now();
    Pacer pacer(100000, t0);
    const auto later = t0 + milliseconds(10);  // 1001 packets due
    std::uint64_t total = 0;
    for (int i = 0; i < 100; ++i) {
        const auto n = pacer.due(later, 64);
        EXPECT_LE(n, 64u);
        pacer.sent(n);
        total += n;
    }
    EXPECT_EQ(total, 1001u);
    EXPECT_EQ(pacer.total_sent(), 1001u);
}

}  // namespace
}  // namespace tcplab::gen
