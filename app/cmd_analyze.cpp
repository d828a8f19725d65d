// tcplab analyze FILE... : parse flags into AnalyzeOptions and hand each file to the analyzer
// library. Unreadable files are reported and skipped (exit 2 at the end); damage inside a file
// is a warning on stderr after the part that could be read was reported.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "analyzer/capture_set.hpp"
#include "analyzer/path_diff.hpp"
#include "analyzer/report.hpp"
#include "app/cli.hpp"
#include "base/errors.hpp"

namespace tcplab::app {

namespace {

analyzer::Format parse_format(const std::string& text) {
    if (text == "text") return analyzer::Format::text;
    if (text == "json") return analyzer::Format::json;
    if (text == "tsv") return analyzer::Format::tsv;
    throw UsageError("--format must be text, json or tsv (got '" + text + "')");
}

}  // namespace

int run_analyze(const Args& args) {
    std::vector<std::string> files;
    std::string format = "text";
    long long stream = -1;
    std::string plot_dir;
    long long max_events = static_cast<long long>(analyzer::kDefaultMaxEventsPerStream);
    po::options_description options = option_group("options");
    options.add_options()("file", po::value(&files), "capture file(s): pcap or pcapng")(
        "format", po::value(&format)->default_value("text"), "text | json | tsv")(
        "frames",
        "one row per TCP frame (with --format tsv: frame, stream, flags, rto, rto_frame)")(
        "stream", po::value(&stream), "only this tcp.stream index")(
        "plot", po::value(&plot_dir),
        "report mode: also write per stream stream-N-timeseq.svg (Stevens time-sequence graph), "
        "stream-N-throughput.svg and stream-N-rtt.svg into DIR (with several files each name "
        "starts with the file's stem)")(
        "max-events-per-stream", po::value(&max_events)->default_value(max_events),
        "report mode: list this many analysis events per stream in full, then only count the\n"
        "rest (the counts are always complete; keeps memory bounded on long lossy streams)")(
        "diff",
        "dual-vantage diff of exactly two files, CLIENT.pcap SERVER.pcap: what the path between\n"
        "them dropped, duplicated, reordered or corrupted (text, or --format json)");
    po::positional_options_description positional;
    positional.add("file", -1);
    const CommandSpec spec{
        "tcplab analyze FILE... [--format text|json|tsv] [--frames] [--stream N]\n"
        "                      [--max-events-per-stream N] [--plot DIR]\n"
        "       tcplab analyze --diff CLIENT.pcap SERVER.pcap [--format text|json]",
        "TCP analysis of capture files with tshark's rules: per stream the handshake (flags, raw "
        "and\n"
        "relative seq/ack, options, iRTT), the teardown, and every retransmission, duplicate ACK,\n"
        "lost segment, zero window, ... with frame numbers, RTO and the reason the rule fired.\n"
        "TCP is found inside what tshark decodes: VLAN/QinQ, MPLS, PPPoE, IP-in-IP, 6in4, 4in6,\n"
        "GRE and ERSPAN, VXLAN, Geneve, GTP-U, Teredo, IPv6 extension headers.",
        "examples:\n  tcplab analyze client.pcap\n  tcplab analyze --frames --format tsv "
        "client.pcap\n"
        "  tcplab analyze --format json --stream 0 a.pcap b.pcapng\n"
        "  tcplab analyze --plot plots/ client.pcap"};
    const auto vm = parse_command_line(spec, options, args, &positional);
    if (!vm) return kExitOk;
    if (files.empty()) throw UsageError("no capture file given\nusage: " + spec.usage);
    if (vm->count("diff") != 0) {
        if (files.size() != 2)
            throw UsageError("--diff takes exactly two files: CLIENT.pcap SERVER.pcap");
        const analyzer::PathDiff diff = analyzer::diff_captures(files[0], files[1]);
        if (parse_format(format) == analyzer::Format::json) {
            std::cout << analyzer::render_diff_json(diff).dump(2) << "\n";
        } else {
            std::cout << analyzer::render_diff_text(diff);
        }
        return kExitOk;
    }

    analyzer::AnalyzeOptions o;
    o.format = parse_format(format);
    o.frames = vm->count("frames") != 0;
    if (vm->count("stream") != 0) {
        if (stream < 0 || stream > 0xFFFFFFFFLL) throw UsageError("--stream must be 0 or more");
        o.stream = static_cast<std::uint32_t>(stream);
    }
    o.label_files = files.size() > 1;
    if (max_events < 0) throw UsageError("--max-events-per-stream must be 0 or more");
    o.max_events_per_stream = static_cast<std::size_t>(max_events);
    o.plot_dir = plot_dir;
    if (vm->count("plot") != 0 && plot_dir.empty()) throw UsageError("--plot needs a directory");

    o.json_separator = ",\n";
    analyzer::Output out(stdout);
    int rc = kExitOk;
    analyzer::analyze_files(
        files, o, out,
        [](const std::string& file, const analyzer::FileOutcome& outcome) {
            for (const auto& w : outcome.warnings)
                std::cerr << "tcplab analyze: warning: " << w << "\n";
            if (!outcome.plots.empty()) {
                std::cerr << "tcplab analyze: " << file << ": wrote " << outcome.plots.size()
                          << " plots, e.g. " << outcome.plots.front() << "\n";
            }
        },
        [&rc](const std::string&, const UsageError& e) {
            std::cerr << "tcplab analyze: " << e.what() << "\n";
            rc = kExitUsage;
        });
    return rc;
}

}  // namespace tcplab::app
