// The report's hand-written number formatting against printf, which it replaces on the event
// table's hot path: byte for byte, across ties, signs, roundings to zero and huge values.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "analyzer/detail/render.hpp"

namespace tcplab::analyzer {
namespace {

std::string printf_ms(Nanos n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(n) / 1e6);
    return buf;
}

std::string tcplab_ms(Nanos n) {
    std::string s = "x";  // appends, so keep something in front
    append_milliseconds3(s, n);
    return s.substr(1);
}

TEST(RenderNumbers, MillisecondsAsPrintfGivesThem) {
    std::vector<Nanos> values = {0,         1,           499,           500,       501,
                                 999,       1000,        1499,          1500,      1'000'000,
                                 2'500'000, -1,          -499,          -500,      -501,
                                 -1500,     -2'000'500,  3'000'000'000, 1LL << 50, (1LL << 50) + 7,
                                 1LL << 62, -(1LL << 62)};
    std::mt19937_64 random(21);
    for (int i = 0; i < 200000; ++i) {
        const int digits = static_cast<int>(random() % 19);
        Nanos v = static_cast<Nanos>(random() % 1'000'000'000'000'000'000ULL);
        for (int d = 18; d > digits; --d) v /= 10;
        values.push_back(random() % 2 == 0 ? v : -v);
        values.push_back(v / 1000 * 1000 + 500);  // a tie
    }
    for (const Nanos v : values) ASSERT_EQ(tcplab_ms(v), printf_ms(v)) << v;
}

}  // namespace
}  // namespace tcplab::analyzer
