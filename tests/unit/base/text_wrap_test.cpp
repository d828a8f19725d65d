// wrap_text: the one wrapping rule of every --help screen.
#include "base/text_wrap.hpp"

#include <gtest/gtest.h>

namespace tcplab {
namespace {

TEST(WrapText, ShortLinesAndHardBreaksStayAsTheyAre) {
    EXPECT_EQ(wrap_text("one\ntwo three\n\nfour", 20), "one\ntwo three\n\nfour");
    EXPECT_EQ(wrap_text("", 20), "");
    EXPECT_EQ(wrap_text("ends with a break\n", 20), "ends with a break\n");
}

TEST(WrapText, LongLineBreaksAtTheLastBlankThatFits) {
    EXPECT_EQ(wrap_text("aaaa bbbb cccc dddd", 10), "aaaa bbbb\ncccc dddd");
    // Exactly the width fits.
    EXPECT_EQ(wrap_text("aaaa bbbbb cccc", 10), "aaaa bbbbb\ncccc");
}

TEST(WrapText, ContinuationKeepsTheIndentPlusTheHangingIndent) {
    EXPECT_EQ(wrap_text("  sudo tcplab scenario run loss10 --backend tc --vm", 24, 4),
              "  sudo tcplab scenario\n      run loss10\n      --backend tc --vm");
}

TEST(WrapText, ABracketedGroupStaysTogetherWhenItCan) {
    EXPECT_EQ(wrap_text("usage: x [--listen ADDR] [--mode M]", 30, 4),
              "usage: x [--listen ADDR]\n    [--mode M]");
    // No blank outside brackets that fits: break inside rather than overflow.
    EXPECT_EQ(wrap_text("[aaaa bbbb cccc]", 10), "[aaaa bbbb\ncccc]");
}

TEST(WrapText, AWordLongerThanTheWidthStaysWhole) {
    EXPECT_EQ(wrap_text("x /a/very/long/path/name y", 8), "x\n/a/very/long/path/name\ny");
    EXPECT_EQ(wrap_text("/a/very/long/path/name", 8), "/a/very/long/path/name");
}

TEST(WrapText, TrailingBlanksAreRemoved) {
    // Boost's option table leaves a blank at the end of a line it wrapped.
    EXPECT_EQ(wrap_text("  --loss arg   random loss \n                 (both)", 80),
              "  --loss arg   random loss\n                 (both)");
    EXPECT_EQ(wrap_text("aaaa    bbbb", 6), "aaaa\nbbbb");
}

}  // namespace
}  // namespace tcplab
