#pragma once
// analyze_file(): one capture -> one report in the chosen format. The formats are FrameSinks
// fed by the Engine while the file is read (TSV rows as they come, stream reports as each stream
// is finalised), so output starts before the end of a large capture.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/detail/output.hpp"
#include "analyzer/detail/stream_summary.hpp"

namespace tcplab::analyzer {

enum class Format { text, json, tsv };

class PcapReader;
struct ReadProgress;

struct AnalyzeOptions {
    Format format = Format::text;
    bool frames = false;                  // one row per TCP frame instead of per-stream reports
    std::optional<std::uint32_t> stream;  // only this tcp.stream
    bool label_files = false;             // several files: name each one in the output
    std::string json_separator;           // written before this file's JSON object once it opened
    // Report mode lists this many events per stream, then only counts (see stream_summary.hpp).
    std::size_t max_events_per_stream = kDefaultMaxEventsPerStream;

    // Input. Every input stops early at a SIGINT/SIGTERM (base/stop_signal.hpp's flag) with the
    // report of what was read.
    std::string filter;                       // a BPF expression (-f); empty: every record
    std::string save_to;                      // also write the records read to this pcap (-w)
    std::uint64_t max_frames = 0;             // stop after this many records (0: all)
    std::chrono::nanoseconds max_duration{};  // live: stop after this long (0: no limit)
    int stop_fd = -1;  // live: readable once a stop was requested (StopSignals::fd())
    // Called once the input is open and filtered, before its first record.
    std::function<void(const PcapReader&)> started;
    // Called every kProgressEvery records while a file is read, and once at its end.
    std::function<void(const ReadProgress&)> progress;
    // Report mode: write stream-N-timeseq.svg, -throughput.svg and -rtt.svg per stream into this
    // directory (created if missing; with label_files each name starts with the file's stem).
    std::string plot_dir;
};

inline constexpr std::uint64_t kProgressEvery = 8192;

struct FileOutcome {
    std::uint64_t frames = 0;
    std::uint64_t tcp_frames = 0;
    std::uint32_t streams = 0;
    std::vector<std::string> warnings;  // "FILE: record N at offset X: ..." (damage, oddities)
    std::vector<std::string> plots;     // the SVG files written (--plot)
};

// Throws UsageError when the file cannot be read at all (not a capture, unknown link type). The
// path "-" reads stdin.
FileOutcome analyze_file(const std::string& path, const AnalyzeOptions& options, Output& out);
// The same for a capture already opened (analyze_file's body; the fuzzer reads from memory; a
// live capture, whose streams are finalised as its clock moves on even while no packet comes).
FileOutcome analyze_capture(PcapReader& reader, const AnalyzeOptions& options, Output& out);

// For several files in JSON: the document wrapper around each file's object.
void json_begin_files(Output& out);
void json_end_files(Output& out);

}  // namespace tcplab::analyzer
