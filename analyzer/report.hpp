#pragma once
// analyze_file(): one capture -> one report in the chosen format. The formats are FrameSinks
// fed by the Engine while the file is read (TSV rows as they come, stream reports as each stream
// is finalised), so output starts before the end of a large capture.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/detail/output.hpp"
#include "analyzer/detail/stream_summary.hpp"

namespace tcplab::analyzer {

enum class Format { text, json, tsv };

struct AnalyzeOptions {
    Format format = Format::text;
    bool frames = false;                  // one row per TCP frame instead of per-stream reports
    std::optional<std::uint32_t> stream;  // only this tcp.stream
    bool label_files = false;             // several files: name each one in the output
    std::string json_separator;           // written before this file's JSON object once it opened
    // Report mode lists this many events per stream, then only counts (see stream_summary.hpp).
    std::size_t max_events_per_stream = kDefaultMaxEventsPerStream;
    // Report mode: write stream-N-timeseq.svg, -throughput.svg and -rtt.svg per stream into this
    // directory (created if missing; with label_files each name starts with the file's stem).
    std::string plot_dir;
};

struct FileOutcome {
    std::uint64_t frames = 0;
    std::uint64_t tcp_frames = 0;
    std::uint32_t streams = 0;
    std::vector<std::string> warnings;  // "FILE: record N at offset X: ..." (damage, oddities)
    std::vector<std::string> plots;     // the SVG files written (--plot)
};

class PcapReader;

// Throws UsageError when the file cannot be read at all (not a capture, unknown link type).
FileOutcome analyze_file(const std::string& path, const AnalyzeOptions& options, Output& out);
// The same for a capture already opened (analyze_file's body; the fuzzer reads from memory).
FileOutcome analyze_capture(PcapReader& reader, const AnalyzeOptions& options, Output& out);

// For several files in JSON: the document wrapper around each file's object.
void json_begin_files(Output& out);
void json_end_files(Output& out);

}  // namespace tcplab::analyzer
