// A whole capture file through `tcplab analyze`'s library path: analyze_capture() (the body of
// analyze_file) reads it with libpcap (pcap or pcapng), dissects every record, runs the TCP
// analysis and renders one report. The last input byte picks the report as the CLI flags would
// (--format, --frames, --stream N), the bytes before it are the capture, read from memory
// (fmemopen). One report per input instead of three, and no file written and reopened per input,
// keep this target fast enough for long campaigns. The selector is at the end so that every
// corpus file is still a capture up to its last byte (unit_hostile replays them through the CLI).
// Whatever the capture holds, JSON output must stay one valid document.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "analyzer/detail/output.hpp"
#include "analyzer/pcap_reader.hpp"
#include "analyzer/report.hpp"
#include "base/errors.hpp"

namespace {

using namespace tcplab::analyzer;

constexpr std::array kFormats{Format::text, Format::json, Format::tsv};

// The selector byte as flags: format (3) x --frames (2) x --stream 0..9 or all (11).
AnalyzeOptions options_from(std::uint8_t selector) {
    AnalyzeOptions options;
    options.format = kFormats[selector % kFormats.size()];
    options.frames = (selector / 3) % 2 == 1;
    const unsigned stream = (selector / 6) % 11;
    if (stream < 10) options.stream = stream;
    return options;
}

// Where --format json goes: an in-memory stream, rewound for every input. One Output per sink for
// the whole run, since each reserves 1 MiB, which under ASan costs more than a small capture.
struct JsonCapture {
    char* text = nullptr;
    std::size_t length = 0;
    std::FILE* file = ::open_memstream(&text, &length);
    Output out{file};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Output discard(nullptr);
    static JsonCapture json;
    if (size == 0) return 0;
    const AnalyzeOptions options = options_from(data[size - 1]);
    const bool check_json = options.format == Format::json;
    if (check_json) std::rewind(json.file);
    try {
        // fmemopen only reads here ("r"); it takes a non-const pointer for its write modes.
        PcapReader reader(::fmemopen(const_cast<std::uint8_t*>(data), size - 1, "r"), "input.pcap");
        (void)analyze_capture(reader, options, check_json ? json.out : discard);
    } catch (const tcplab::UsageError&) {
        return 0;  // rejected with a message (exit 2): nothing more to check
    }
    if (!check_json) return 0;
    json.out.flush();  // fflush sets json.length to the position: this input's document
    const std::string_view text(json.text, json.length);
    if (!nlohmann::json::accept(text)) {
        std::fprintf(stderr, "analyze --format json wrote invalid JSON:\n%.*s\n",
                     static_cast<int>(text.size()), text.data());
        std::abort();
    }
    return 0;
}
