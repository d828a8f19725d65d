#pragma once
// `analyze --plot DIR`: the three plots of one finished stream, drawn from its summary's frames
// (StreamSummary::plot): stream-N-timeseq.svg, stream-N-throughput.svg, stream-N-rtt.svg.
#include <string>
#include <vector>

#include "analyzer/detail/stream_table.hpp"

namespace tcplab::analyzer {

struct PlotFile {
    std::string name;  // "stream-3-timeseq.svg"
    std::string svg;
};

// The direction with more payload is drawn (a's when equal); times count from the stream's
// first frame.
std::vector<PlotFile> stream_plots(const Conversation& c);

}  // namespace tcplab::analyzer
