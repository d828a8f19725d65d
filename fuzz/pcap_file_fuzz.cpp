// A whole capture file through `tcplab analyze`'s library path: analyze_file() opens it with
// libpcap (pcap or pcapng), dissects every record, runs the TCP analysis and renders the three
// report forms the CLI offers (text, json, per-frame tsv). The input is written to a file because
// that is what the product reads. The JSON must stay a valid document whatever the capture holds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "analyzer/output.hpp"
#include "analyzer/report.hpp"
#include "fuzz/scratch_dir.hpp"
#include "packet/errors.hpp"

namespace {

using namespace tcplab::analyzer;

// Where --format json goes: an in-memory stream, rewound for every input. One Output per sink for
// the whole run, since each reserves 1 MiB, which under ASan costs more than a small capture.
struct JsonCapture {
    char* text = nullptr;
    std::size_t length = 0;
    std::FILE* file = ::open_memstream(&text, &length);
    Output out{file};
};

// Runs one report; for JSON also checks that what analyze_file wrote is one valid document.
void analyze(const std::string& path, Format format, bool frames) {
    static Output discard(nullptr);
    static JsonCapture json;
    AnalyzeOptions options;
    options.format = format;
    options.frames = frames;
    const bool check_json = format == Format::json;
    if (check_json) std::rewind(json.file);
    try {
        (void)analyze_file(path, options, check_json ? json.out : discard);
    } catch (const tcplab::UsageError&) {
        return;  // rejected with a message (exit 2): nothing more to check
    }
    if (!check_json) return;
    json.out.flush();  // fflush sets json.length to the position: this input's document
    const std::string_view text(json.text, json.length);
    if (!nlohmann::json::accept(text)) {
        std::fprintf(stderr, "analyze --format json wrote invalid JSON:\n%.*s\n",
                     static_cast<int>(text.size()), text.data());
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const tcplab::fuzz::ScratchDir dir;
    const std::string path = dir.write("input.pcap", data, size);
    analyze(path, Format::text, false);
    analyze(path, Format::json, false);
    analyze(path, Format::tsv, true);
    return 0;
}
