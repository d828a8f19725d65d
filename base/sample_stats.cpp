#include "base/sample_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tcplab {

namespace {

// Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; the normal's 1.96 beyond.
double t95(std::size_t df) {
    static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                   2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                   2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                   2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
    return df >= 1 && df <= 30 ? table[df - 1] : 1.96;
}

}  // namespace

SampleStats sample_stats(std::vector<double> values) {
    SampleStats s;
    s.n = values.size();
    if (s.n == 0) {
        return s;
    }
    std::sort(values.begin(), values.end());
    s.min = values.front();
    s.max = values.back();
    const std::size_t mid = s.n / 2;
    s.median = s.n % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(s.n);
    double ss = 0;
    for (const double v : values) {
        ss += (v - s.mean) * (v - s.mean);
    }
    s.sd = s.n > 1 ? std::sqrt(ss / static_cast<double>(s.n - 1)) : 0;
    const double half = s.n > 1 ? t95(s.n - 1) * s.sd / std::sqrt(static_cast<double>(s.n)) : 0;
    s.ci_low = s.mean - half;
    s.ci_high = s.mean + half;
    return s;
}

}  // namespace tcplab
