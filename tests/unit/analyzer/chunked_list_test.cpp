// ChunkedList keeps every element, in order, across its small head and its fixed chunks.
#include "analyzer/detail/chunked_list.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tcplab::analyzer {
namespace {

TEST(ChunkedList, EveryElementInOrderAcrossTheHeadAndTheChunks) {
    for (const std::size_t n : {0U, 1U, 3U, 4U, 5U, 8U, 9U, 13U, 40U}) {
        ChunkedList<int, 4> list;
        std::vector<int> want;
        for (std::size_t i = 0; i < n; ++i) {
            list.push_back(static_cast<int>(i * 7));
            want.push_back(static_cast<int>(i * 7));
        }
        ASSERT_EQ(list.size(), n);
        EXPECT_EQ(list.empty(), n == 0);
        std::vector<int> by_index, by_iteration;
        for (std::size_t i = 0; i < n; ++i) {
            by_index.push_back(list[i]);
        }
        for (const int v : list) {
            by_iteration.push_back(v);
        }
        EXPECT_EQ(by_index, want) << n << " elements";
        EXPECT_EQ(by_iteration, want) << n << " elements";
    }
}

}  // namespace
}  // namespace tcplab::analyzer
