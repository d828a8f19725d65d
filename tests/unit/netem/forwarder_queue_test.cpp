// The forwarder's timing parts: the delay queue's release order and the token bucket's pacing.
#include <gtest/gtest.h>

#include "base/errors.hpp"
#include "netem/forwarder/detail/delay_queue.hpp"
#include "netem/forwarder/detail/token_bucket.hpp"

namespace tcplab::netem {
namespace {

std::vector<std::uint8_t> frame(std::uint8_t tag) { return {tag}; }

TEST(DelayQueue, ReleasesByTimeThenArrival) {
    DelayQueue q;
    q.push(300, frame(1));
    q.push(100, frame(2));
    q.push(200, frame(3));
    q.push(100, frame(4));  // same time as 2, arrived later: after 2
    ASSERT_EQ(q.next_release(), 100);
    EXPECT_FALSE(q.pop_due(99).has_value());
    std::vector<std::uint8_t> order;
    while (auto f = q.pop_due(1000)) {
        order.push_back(f->bytes.at(0));
    }
    EXPECT_EQ(order, (std::vector<std::uint8_t>{2, 4, 3, 1}));
    EXPECT_EQ(q.overtaken(), 2u) << "3 and 1 came out after 4, which arrived after them";
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.next_release().has_value());
}

TEST(DelayQueue, OnlyDueFramesComeOut) {
    DelayQueue q;
    q.push(50, frame(1));
    q.push(150, frame(2));
    auto first = q.pop_due(100);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->bytes.at(0), 1);
    EXPECT_FALSE(q.pop_due(100).has_value());
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.overtaken(), 0u);
}

TEST(DelayQueue, AConstantDelayOvertakesNothing) {
    DelayQueue q;
    for (std::uint8_t i = 0; i < 5; ++i) {
        q.push(100 + i, frame(i));
    }
    while (q.pop_due(1000)) {
    }
    EXPECT_EQ(q.overtaken(), 0u);
}

TEST(TokenBucket, IdleLinkSendsAtOnceThenPacesAtTheRate) {
    // 10 Mbit/s: a 1250-byte frame takes exactly 1 ms.
    TokenBucket b(10'000'000, 1250);
    const std::int64_t t0 = 1'000'000'000;
    EXPECT_EQ(b.reserve(t0, 1250), t0);              // the burst covers one frame
    EXPECT_EQ(b.reserve(t0, 1250), t0 + 1'000'000);  // next one waits its transmission time
    EXPECT_EQ(b.reserve(t0, 1250), t0 + 2'000'000);
    // After a long idle period the bucket is full again, but never above its burst.
    const std::int64_t later = t0 + 1'000'000'000;
    EXPECT_EQ(b.reserve(later, 1250), later);
    EXPECT_EQ(b.reserve(later, 1250), later + 1'000'000);
}

TEST(TokenBucket, LongRunAverageEqualsTheRate) {
    TokenBucket b(8'000'000, 1514);  // 1 byte per microsecond
    std::int64_t last = 0;
    for (int i = 0; i < 1000; ++i) {
        last = b.reserve(0, 1000);  // all arrive at once: a queue forms
    }
    // 1000 frames x 1000 bytes at 1 byte/us, minus the first frame's burst.
    EXPECT_NEAR(static_cast<double>(last), 999'000'000.0 - 514'000.0, 2'000.0);
}

TEST(TokenBucket, ZeroRateIsRefused) { EXPECT_THROW(TokenBucket(0, 1500), UsageError); }

}  // namespace
}  // namespace tcplab::netem
