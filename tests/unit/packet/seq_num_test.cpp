// SeqNum: RFC 1982 serial arithmetic across the 2^32 wrap.
#include "packet/seq_num.hpp"

#include <gtest/gtest.h>

namespace tcplab::packet {
namespace {

TEST(SeqNum, ComparesAcrossTheWrap) {
    EXPECT_LT(SeqNum(0xFFFFFFF0), SeqNum(0x10));
    EXPECT_GT(SeqNum(0x10), SeqNum(0xFFFFFFF0));
    EXPECT_LT(SeqNum(0x7FFFFFFF), SeqNum(0x80000000));
    EXPECT_EQ(SeqNum(5), SeqNum(5));
    // A raw comparison gets this wrong; that is why SeqNum exists.
    EXPECT_GT(0xFFFFFFF0u, 0x10u);
}

TEST(SeqNum, ArithmeticWraps) {
    EXPECT_EQ((SeqNum(0xFFFFFFFF) + 2).raw(), 1u);
    EXPECT_EQ((SeqNum(1) - 2).raw(), 0xFFFFFFFFu);
    EXPECT_EQ(SeqNum(0x10) - SeqNum(0xFFFFFFF0), 0x20);
    EXPECT_EQ(SeqNum(0xFFFFFFF0) - SeqNum(0x10), -0x20);
    SeqNum s(0xFFFFFFFE);
    s += 3;
    EXPECT_EQ(s.raw(), 1u);
}

}  // namespace
}  // namespace tcplab::packet
