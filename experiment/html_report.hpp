#pragma once
// index.html of an experiment: self-contained (inline SVG, no script, nothing from the network) —
// goodput vs loss per congestion control (or whatever else varies) with 95% confidence intervals
// and the Mathis et al. bound, retransmissions vs loss, the RTO distribution, a table of the
// cells and a link to every run's report and time-sequence plot.
#include <string>
#include <vector>

#include "experiment/plan.hpp"
#include "experiment/results.hpp"

namespace tcplab::experiment {

std::string html_report(const ExperimentSpec& spec, const std::vector<RunResult>& results,
                        const std::vector<CellSummary>& cells);
// The goodput chart alone (an SVG file: goodput.svg beside index.html); empty when nothing
// numeric varies.
std::string goodput_svg(const ExperimentSpec& spec, const std::vector<CellSummary>& cells);

}  // namespace tcplab::experiment
