// FaultDecider: reproducibility (same seed -> same packets), the statistics of each random model
// against theory, and the deterministic schedules hitting exactly the packets they name.
#include "netem/forwarder/detail/fault_decider.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "base/hash.hpp"
#include "packet/tcp.hpp"

namespace tcplab::netem {
namespace {

namespace f = packet::tcp_flag;

// A stream of distinct data segments of one flow, 1000 bytes each.
PacketFacts data_segment(std::uint32_t i) {
    PacketFacts p;
    p.is_tcp = true;
    p.tcp_flags = f::kAck | f::kPsh;
    p.seq = 1000 + i * 1000;
    p.payload_length = 1000;
    p.flow = 42;
    p.identity = hash_combine(hash_combine(p.flow, p.seq), p.tcp_flags);
    return p;
}

PacketFacts flagged(std::uint16_t flags, std::uint32_t seq, std::uint32_t len = 0) {
    PacketFacts p;
    p.is_tcp = true;
    p.tcp_flags = flags;
    p.seq = seq;
    p.payload_length = len;
    p.flow = 7;
    p.identity = hash_combine(hash_combine(hash_combine(p.flow, seq), flags), len);
    return p;
}

std::vector<bool> drops(std::uint64_t seed, const DirectionImpairment& m, std::uint32_t n,
                        double time_step_ms) {
    FaultDecider d(seed, Direction::client_to_server, m);
    std::vector<bool> out;
    for (std::uint32_t i = 0; i < n; ++i) {
        out.push_back(d.decide(data_segment(i), i * time_step_ms).verdict == Verdict::drop);
    }
    return out;
}

// Half-width of the two-sided 99.9% normal-approximation interval of a binomial count.
double binomial_999(double n, double p) { return 3.2905 * std::sqrt(n * p * (1 - p)); }

TEST(FaultDecider, SameSeedSameDropsEvenWhenTimingShifts) {
    DirectionImpairment m;
    m.loss_percent = 30;
    const auto a = drops(7, m, 3000, 1.0);
    const auto b = drops(7, m, 3000, 3.7);  // different pacing, same packets
    EXPECT_EQ(a, b);
    const auto c = drops(8, m, 3000, 1.0);
    EXPECT_NE(a, c);
}

TEST(FaultDecider, UnrelatedPacketsDoNotShiftDecisions) {
    DirectionImpairment m;
    m.loss_percent = 30;
    FaultDecider plain(99, Direction::client_to_server, m);
    FaultDecider noisy(99, Direction::client_to_server, m);
    for (std::uint32_t i = 0; i < 1000; ++i) {
        if (i % 3 == 0) {  // an interleaved packet of another flow only the second one sees
            PacketFacts other = data_segment(i);
            other.flow = 1234;
            other.identity = hash_combine(other.identity, 1234);
            (void)noisy.decide(other, i);
        }
        EXPECT_EQ(plain.decide(data_segment(i), i).verdict,
                  noisy.decide(data_segment(i), i).verdict)
            << "packet " << i;
    }
}

TEST(FaultDecider, DirectionsDrawIndependently) {
    DirectionImpairment m;
    m.loss_percent = 50;
    FaultDecider c2s(5, Direction::client_to_server, m);
    FaultDecider s2c(5, Direction::server_to_client, m);
    int same = 0;
    for (std::uint32_t i = 0; i < 2000; ++i) {
        same += c2s.decide(data_segment(i), 0).verdict == s2c.decide(data_segment(i), 0).verdict;
    }
    EXPECT_NEAR(same, 1000, binomial_999(2000, 0.5));
}

TEST(FaultDecider, IdenticalRetransmissionGetsAFreshDraw) {
    DirectionImpairment m;
    m.loss_percent = 50;
    FaultDecider d(3, Direction::client_to_server, m);
    const PacketFacts p = data_segment(0);
    int dropped = 0;
    for (int i = 0; i < 200; ++i) {
        const Decision decision = d.decide(p, i);
        EXPECT_EQ(decision.transmission,
                  static_cast<std::uint32_t>(i + 1));  // the ledger's "transmission"
        dropped += decision.verdict == Verdict::drop;
    }
    EXPECT_GT(dropped, 50);
    EXPECT_LT(dropped, 150);
}

TEST(FaultDecider, Loss30PercentWithinBinomialInterval) {
    DirectionImpairment m;
    m.loss_percent = 30;
    const std::uint32_t n = 2000;
    for (std::uint64_t seed : {1u, 2u, 3u, 1234567u}) {
        const auto d = drops(seed, m, n, 1.0);
        const double dropped = static_cast<double>(std::count(d.begin(), d.end(), true));
        EXPECT_NEAR(dropped, n * 0.3, binomial_999(n, 0.3)) << "seed " << seed;
    }
}

TEST(FaultDecider, GilbertElliottMeanLossMatchesTheory) {
    DirectionImpairment m;
    m.loss_gemodel = GilbertElliott{5, 20, 80, 1};  // p, r, 1-h, 1-k in percent
    const double p = 0.05, r = 0.20, bad_loss = 0.80, good_loss = 0.01;
    const double pi_bad = p / (p + r);
    const double expected = pi_bad * bad_loss + (1 - pi_bad) * good_loss;  // 0.168
    const std::uint32_t n = 200000;
    const auto d = drops(11, m, n, 1.0);
    const double rate = static_cast<double>(std::count(d.begin(), d.end(), true)) / n;
    EXPECT_NEAR(rate, expected, 0.01);
    // Losses come in bursts: P(loss | previous lost) is far above the mean.
    double after_loss = 0, losses = 0;
    for (std::size_t i = 1; i < d.size(); ++i) {
        if (d[i - 1]) {
            ++losses;
            after_loss += d[i];
        }
    }
    EXPECT_GT(after_loss / losses, 2 * expected);
}

TEST(FaultDecider, DuplicateAndCorruptRates) {
    DirectionImpairment m;
    m.duplicate_percent = 10;
    m.corrupt_percent = 5;
    FaultDecider d(21, Direction::server_to_client, m);
    const std::uint32_t n = 20000;
    double dup = 0, cor = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        const Decision x = d.decide(data_segment(i), i);
        EXPECT_EQ(x.verdict, Verdict::forward);
        dup += x.duplicate;
        cor += x.corrupt;
    }
    EXPECT_NEAR(dup, n * 0.10, binomial_999(n, 0.10));
    EXPECT_NEAR(cor, n * 0.05, binomial_999(n, 0.05));
}

TEST(FaultDecider, ReorderHonoursGapAndDelaysTheRest) {
    DirectionImpairment m;
    m.delay_ms = 10;
    m.reorder_percent = 100;
    m.reorder_gap = 5;
    FaultDecider d(1, Direction::client_to_server, m);
    for (std::uint32_t i = 0; i < 50; ++i) {
        const Decision x = d.decide(data_segment(i), i);
        // netem: packets 1..4 of each group of 5 are delayed, the 5th goes out at once.
        EXPECT_EQ(x.reorder, (i % 5) == 4) << i;
        EXPECT_DOUBLE_EQ(x.delay_ms, x.reorder ? 0.0 : 10.0) << i;
    }
}

TEST(FaultDecider, UniformJitterStaysWithinBounds) {
    DirectionImpairment m;
    m.delay_ms = 50;
    m.jitter_ms = 10;
    m.distribution = DelayDistribution::uniform;
    FaultDecider d(4, Direction::client_to_server, m);
    double sum = 0;
    const int n = 10000;
    for (int i = 0; i < n; ++i) {
        const double v = d.decide(data_segment(i), i).delay_ms;
        EXPECT_GE(v, 40.0);
        EXPECT_LT(v, 60.0);
        sum += v;
    }
    EXPECT_NEAR(sum / n, 50.0, 0.3);
}

TEST(FaultDecider, NormalJitterHasTheRequestedSpread) {
    DirectionImpairment m;
    m.delay_ms = 100;
    m.jitter_ms = 10;
    m.distribution = DelayDistribution::normal;
    FaultDecider d(4, Direction::client_to_server, m);
    const int n = 20000;
    double sum = 0, sq = 0;
    for (int i = 0; i < n; ++i) {
        const double v = d.decide(data_segment(i), i).delay_ms;
        sum += v;
        sq += v * v;
    }
    const double mean = sum / n;
    EXPECT_NEAR(mean, 100.0, 0.5);
    EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 10.0, 0.5);
}

TEST(FaultDecider, ParetoDistributionsAreStandardisedAndSkewed) {
    for (auto dist : {DelayDistribution::pareto, DelayDistribution::paretonormal}) {
        double sum = 0, sq = 0, above = 0;
        const int n = 200000;
        for (int i = 0; i < n; ++i) {
            const double u = fault_uniform(1, Direction::client_to_server, i, 0, 1);
            const double u2 = fault_uniform(1, Direction::client_to_server, i, 0, 2);
            const double v = standard_sample(dist, u, u2);
            sum += v;
            sq += v * v;
            above += v > 0;
        }
        EXPECT_NEAR(sum / n, 0.0, 0.02) << static_cast<int>(dist);
        // Pareto(3) has a heavy right tail (infinite 4th moment): a loose check on the spread.
        EXPECT_NEAR(std::sqrt(sq / n), 1.0, 0.15) << static_cast<int>(dist);
        EXPECT_LT(above / n, 0.5) << "right-skewed: median below mean";
    }
}

TEST(FaultDecider, InverseNormalCdfKnownQuantiles) {
    EXPECT_NEAR(inverse_normal_cdf(0.5), 0.0, 1e-9);
    EXPECT_NEAR(inverse_normal_cdf(0.975), 1.959964, 1e-6);
    EXPECT_NEAR(inverse_normal_cdf(0.001), -3.090232, 1e-6);
}

TEST(FaultDecider, ScheduleDropsFirstSynsOnly) {
    DirectionImpairment m;
    m.schedule.drop_first_syns = 2;
    FaultDecider d(1, Direction::client_to_server, m);
    const PacketFacts syn = flagged(f::kSyn, 100);
    Decision a = d.decide(syn, 0), b = d.decide(syn, 1000), c = d.decide(syn, 3000);
    EXPECT_EQ(a.verdict, Verdict::drop);
    EXPECT_EQ(a.reason, "schedule drop-syn #1");
    EXPECT_EQ(b.verdict, Verdict::drop);
    EXPECT_EQ(b.reason, "schedule drop-syn #2");
    EXPECT_EQ(c.verdict, Verdict::forward);
    // A SYN-ACK or an ACK is never a "SYN" for the schedule.
    EXPECT_EQ(d.decide(flagged(f::kSyn | f::kAck, 5), 0).verdict, Verdict::forward);
}

TEST(FaultDecider, ScheduleSynAckFinAndPureAck) {
    DirectionImpairment m;
    m.schedule.drop_first_synacks = 1;
    m.schedule.drop_first_fins = 1;
    m.schedule.drop_first_pure_acks = 2;
    FaultDecider d(1, Direction::server_to_client, m);
    EXPECT_EQ(d.decide(flagged(f::kSyn | f::kAck, 1), 0).reason, "schedule drop-synack #1");
    EXPECT_EQ(d.decide(flagged(f::kSyn | f::kAck, 1), 0).verdict, Verdict::forward);
    EXPECT_EQ(d.decide(flagged(f::kAck, 2), 0).reason, "schedule drop-pure-ack #1");
    // Data with ACK is not a pure ACK, and does not advance the pure-ACK count.
    EXPECT_EQ(d.decide(flagged(f::kAck | f::kPsh, 2, 100), 0).verdict, Verdict::forward);
    EXPECT_EQ(d.decide(flagged(f::kAck, 102), 0).reason, "schedule drop-pure-ack #2");
    EXPECT_EQ(d.decide(flagged(f::kAck, 103), 0).verdict, Verdict::forward);
    EXPECT_EQ(d.decide(flagged(f::kFin | f::kAck, 103), 0).reason, "schedule drop-fin #1");
    EXPECT_EQ(d.decide(flagged(f::kFin | f::kAck, 103), 0).verdict, Verdict::forward);
}

TEST(FaultDecider, ScheduleDropsNthDataSegmentButNotItsRetransmission) {
    DirectionImpairment m;
    m.schedule.drop_data_segments = {3, 5};
    FaultDecider d(1, Direction::client_to_server, m);
    std::vector<std::uint32_t> dropped;
    for (std::uint32_t i = 0; i < 6; ++i) {
        if (d.decide(data_segment(i), i).verdict == Verdict::drop) {
            dropped.push_back(i + 1);
        }
        if (i == 2) {  // retransmission of segment #3 right away: passes
            EXPECT_EQ(d.decide(data_segment(2), i).verdict, Verdict::forward);
        }
    }
    EXPECT_EQ(dropped, (std::vector<std::uint32_t>{3, 5}));
    EXPECT_EQ(d.decide(data_segment(4), 10).verdict, Verdict::forward);  // #5 retransmitted
}

TEST(FaultDecider, ScheduleWindowDropsEverythingInside) {
    DirectionImpairment m;
    m.schedule.drop_windows = {{100, 200}};
    FaultDecider d(1, Direction::client_to_server, m);
    EXPECT_EQ(d.decide(data_segment(0), 99.9).verdict, Verdict::forward);
    EXPECT_EQ(d.decide(data_segment(1), 100).verdict, Verdict::drop);
    EXPECT_EQ(d.decide(data_segment(2), 199.9).verdict, Verdict::drop);
    EXPECT_EQ(d.decide(data_segment(3), 200).verdict, Verdict::forward);
}

TEST(FaultDecider, IdentityModelIsPassThrough) {
    FaultDecider d(1, Direction::client_to_server, DirectionImpairment{});
    EXPECT_TRUE(d.is_pass_through());
    const Decision x = d.decide(data_segment(0), 0);
    EXPECT_EQ(x.verdict, Verdict::forward);
    EXPECT_FALSE(x.duplicate || x.corrupt || x.reorder);
    EXPECT_EQ(x.delay_ms, 0.0);
}

}  // namespace
}  // namespace tcplab::netem
