// VectorQueue behaves as the std::deque it replaces in SequenceSpace: the same elements in the
// same order after any mix of push_back, sorted insert and pop_front, across its compactions.
#include "analyzer/detail/vector_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <vector>

namespace tcplab::analyzer {
namespace {

TEST(VectorQueue, KeepsTheElementsAndOrderOfADequeAcrossCompactions) {
    std::mt19937 random(21);
    VectorQueue<int> queue;
    std::deque<int> model;
    for (int step = 0; step < 20000; ++step) {
        const unsigned op = random() % 10;
        if (op < 5) {
            // Mostly rising values, as sequence numbers are sent.
            const int v = (model.empty() ? 0 : model.back()) + static_cast<int>(random() % 5);
            queue.push_back(v);
            model.push_back(v);
        } else if (op < 6) {
            const int v = static_cast<int>(random() % 1000);
            queue.insert(std::lower_bound(queue.begin(), queue.end(), v), v);
            model.insert(std::lower_bound(model.begin(), model.end(), v), v);
        } else if (!model.empty()) {
            ASSERT_EQ(queue.front(), model.front()) << "step " << step;
            queue.pop_front();
            model.pop_front();
        }
        ASSERT_EQ(queue.size(), model.size()) << "step " << step;
        ASSERT_EQ(queue.empty(), model.empty()) << "step " << step;
        if (step % 97 == 0) {
            ASSERT_EQ(std::vector<int>(queue.begin(), queue.end()),
                      std::vector<int>(model.begin(), model.end()))
                << "step " << step;
        }
    }
}

TEST(VectorQueue, EmptiedQueueStartsOver) {
    VectorQueue<int> queue;
    for (int i = 0; i < 100; ++i) queue.push_back(i);
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(queue.front(), i);
        queue.pop_front();
    }
    EXPECT_TRUE(queue.empty());
    queue.push_back(7);
    EXPECT_EQ(queue.size(), 1U);
    EXPECT_EQ(queue.front(), 7);
}

}  // namespace
}  // namespace tcplab::analyzer
