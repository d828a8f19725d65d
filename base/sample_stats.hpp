#pragma once
// Summary statistics of a sample of measurements, computed one way everywhere: a --repeat table's
// spread (scenario) and an experiment cell's mean with its confidence interval (experiment).
#include <cstddef>
#include <vector>

namespace tcplab {

struct SampleStats {
    std::size_t n = 0;
    double min = 0, max = 0, mean = 0, median = 0;
    double sd = 0;                   // sample standard deviation (n - 1); 0 for n < 2
    double ci_low = 0, ci_high = 0;  // 95% confidence interval of the mean (Student's t)
};

// All zero for an empty sample.
SampleStats sample_stats(std::vector<double> values);

}  // namespace tcplab
