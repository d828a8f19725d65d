#include "analyzer/capture_set.hpp"

#include "base/stop_signal.hpp"

namespace tcplab::analyzer {

void analyze_files(const std::vector<std::string>& files, AnalyzeOptions options, Output& out,
                   const FileDone& done, const FileFailed& failed) {
    const bool json_wrapper = options.label_files && options.format == Format::json;
    const std::string separator = json_wrapper ? options.json_separator : "";
    if (json_wrapper) json_begin_files(out);
    bool first = true;
    for (const auto& file : files) {
        try {
            options.json_separator = first ? "" : separator;
            const FileOutcome outcome = analyze_file(file, options, out);
            first = false;
            out.flush();
            if (done) done(file, outcome);
        } catch (const UsageError& e) {
            out.flush();
            if (!failed) throw;
            failed(file, e);
        }
        if (stop_requested()) break;  // SIGINT/SIGTERM: this file's report was the last
    }
    if (json_wrapper) json_end_files(out);
    out.flush();
}

}  // namespace tcplab::analyzer
