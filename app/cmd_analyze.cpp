// tcplab analyze FILE... | - | -i IFACE : parse flags into AnalyzeOptions and hand each input to
// the analyzer library. Unreadable files are reported and skipped (exit 2 at the end); damage
// inside a file is a warning on stderr after the part that could be read was reported.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "analyzer/capture_set.hpp"
#include "analyzer/path_diff.hpp"
#include "analyzer/pcap_reader.hpp"
#include "analyzer/report.hpp"
#include "app/analyze_progress.hpp"
#include "app/cli.hpp"
#include "base/errors.hpp"
#include "base/stop_signal.hpp"

namespace tcplab::app {

namespace {

analyzer::Format parse_format(const std::string& text) {
    if (text == "text") return analyzer::Format::text;
    if (text == "json") return analyzer::Format::json;
    if (text == "tsv") return analyzer::Format::tsv;
    throw UsageError("--format must be text, json or tsv (got '" + text + "')");
}

// A live capture lasts at most a day per run (a bound, so a typo cannot mean forever).
constexpr double kMaxLiveSeconds = 86400;

// The warnings of one input, and where its plots went (--plot).
void print_outcome(const std::string& input, const analyzer::FileOutcome& outcome) {
    for (const auto& w : outcome.warnings) std::cerr << "tcplab analyze: warning: " << w << "\n";
    if (!outcome.plots.empty()) {
        std::cerr << "tcplab analyze: " << input << ": wrote " << outcome.plots.size()
                  << " plots, e.g. " << outcome.plots.front() << "\n";
    }
}

}  // namespace

int run_analyze(const Args& args) {
    std::vector<std::string> files;
    std::string interface;
    std::string filter;
    std::string save_to;
    long long count = 0;
    double duration = 0;
    std::string format = "text";
    long long stream = -1;
    std::string plot_dir;
    long long max_events = static_cast<long long>(analyzer::kDefaultMaxEventsPerStream);
    po::options_description options = option_group("options");
    options.add_options()("file", po::value(&files), "capture file(s): pcap or pcapng; - is stdin")(
        "interface,i", po::value(&interface),
        "analyze live traffic on this interface (libpcap; needs root or CAP_NET_RAW); ends at "
        "--count, --duration or Ctrl-C (SIGINT/SIGTERM), each with the complete results")(
        "filter,f", po::value(&filter),
        "only the packets matching this BPF expression (tcpdump's syntax), live or from files; "
        "frames are numbered as if the capture had been taken with the filter")(
        "write,w", po::value(&save_to),
        "also save the records read (after -f) to this pcap file, with the very bytes and times "
        "analysed (one input only)")("count", po::value(&count),
                                     "stop after N records (of each file)")(
        "duration", po::value(&duration), "with -i: stop after SECONDS")(
        "quiet,q", "no progress line and no 'listening' line on stderr")(
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
        "tcplab analyze FILE...|- [--format text|json|tsv] [--frames] [--stream N] [--plot DIR]\n"
        "                      [-f BPF] [-w OUT.pcap] [--count N] [--max-events-per-stream N]\n"
        "       tcplab analyze -i IFACE [-f BPF] [-w OUT.pcap] [--count N] [--duration S] [...]\n"
        "       tcplab analyze --diff CLIENT.pcap SERVER.pcap [--format text|json]",
        "TCP analysis of capture files with tshark's rules: per stream the handshake (flags, raw "
        "and\n"
        "relative seq/ack, options, iRTT), the teardown, and every retransmission, duplicate ACK,\n"
        "lost segment, zero window, ... with frame numbers, RTO and the reason the rule fired.\n"
        "TCP is found inside what tshark decodes: VLAN/QinQ, MPLS, PPPoE, IP-in-IP, 6in4, 4in6,\n"
        "GRE and ERSPAN, VXLAN, Geneve, GTP-U, Teredo, IPv6 extension headers.\n"
        "Each stream's report is written once the stream is over: FIN or RST seen and then 120 s\n"
        "without a packet (capture time; live, the clock), its ports reused by a new connection,\n"
        "or the end of the input. Progress on stderr while a long file is read (terminal only).",
        "examples:\n  tcplab analyze client.pcap\n  tcplab analyze --frames --format tsv "
        "client.pcap\n"
        "  tcplab analyze --format json --stream 0 a.pcap b.pcapng\n"
        "  tcplab analyze --plot plots/ client.pcap\n"
        "  tcpdump -w - -U | tcplab analyze -\n"
        "  tcplab net exec cli -- tcplab analyze -i veth-c -f 'tcp port 443' --duration 60"};
    const auto vm = parse_command_line(spec, options, args, &positional);
    if (!vm) return kExitOk;
    const bool live = vm->count("interface") != 0;
    if (files.empty() && !live) throw UsageError("no capture file given\nusage: " + spec.usage);
    if (live && !files.empty())
        throw UsageError("-i " + interface + ": a live capture takes no capture file (got '" +
                         files.front() + "')");
    if (std::count(files.begin(), files.end(), "-") > 1)
        throw UsageError("- (stdin) can be read only once");
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

    o.filter = filter;
    o.save_to = save_to;
    if (!save_to.empty() && files.size() > 1) throw UsageError("-w takes one input only");
    if (vm->count("count") != 0 && count < 1) throw UsageError("--count must be 1 or more");
    o.max_frames = static_cast<std::uint64_t>(count);
    if (vm->count("duration") != 0) {
        if (!live) throw UsageError("--duration needs -i (a live capture)");
        o.max_duration = seconds_flag(duration, "--duration", kMaxLiveSeconds);
    }
    const bool quiet = vm->count("quiet") != 0;

    // Ctrl-C (or SIGTERM) ends the input early; what was read is still reported in full.
    StopSignals signals;
    o.stop_fd = signals.fd();
    AnalyzeProgress progress(!quiet && ::isatty(STDERR_FILENO) == 1);
    o.progress = [&progress](const analyzer::ReadProgress& p) { progress.update(p); };
    o.started = [&progress, quiet, &filter](const analyzer::PcapReader& reader) {
        progress.start(reader.path());
        if (!reader.live() || quiet) return;
        std::cerr << "tcplab analyze: listening on " << reader.path() << " (link type "
                  << reader.link_type_name() << ")"
                  << (filter.empty() ? "" : ", filter '" + filter + "'")
                  << "; Ctrl-C ends it with the results" << std::endl;
    };
    analyzer::Output out([&progress](std::string_view text) {
        progress.clear();
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    });
    if (live) {
        o.json_separator = "";
        analyzer::PcapReader reader(analyzer::LiveInterface{interface});
        print_outcome(interface, analyzer::analyze_capture(reader, o, out));
        return kExitOk;
    }
    o.json_separator = ",\n";
    int rc = kExitOk;
    analyzer::analyze_files(files, o, out, print_outcome,
                            [&rc](const std::string&, const UsageError& e) {
                                std::cerr << "tcplab analyze: " << e.what() << "\n";
                                rc = kExitUsage;
                            });
    return rc;
}

}  // namespace tcplab::app
