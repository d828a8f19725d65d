// analyze_file() and the three output sinks. Rows and stream reports are written while the
// file is read; the per-frame TSV path only appends digits to a buffer.
#include "analyzer/report.hpp"

#include <poll.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "analyzer/detail/render.hpp"
#include "analyzer/detail/stream_plots.hpp"
#include "analyzer/detail/truncated_tcp.hpp"
#include "analyzer/engine.hpp"
#include "analyzer/flags.hpp"
#include "analyzer/pcap_reader.hpp"
#include "base/errors.hpp"
#include "base/stop_signal.hpp"
#include "packet/link.hpp"

namespace tcplab::analyzer {

namespace {

bool wanted(const AnalyzeOptions& o, std::uint32_t stream) {
    return !o.stream || *o.stream == stream;
}

// --frames --format tsv: exactly the docs/CLI.md columns.
class TsvFrameSink final : public FrameSink {
public:
    TsvFrameSink(const AnalyzeOptions& o, Output& out) : o_(o), out_(out) {
        out_.append("frame\tstream\tflags\trto\trto_frame\n");
    }
    void tcp_frame(std::uint64_t frame, std::uint32_t stream, const Verdict* v) override {
        if (!wanted(o_, stream)) return;
        // Built on the stack and appended once: most frames have neither flags nor an RTO.
        char row[48];
        char* p = std::to_chars(row, row + 20, frame).ptr;
        *p++ = '\t';
        p = std::to_chars(p, p + 10, stream).ptr;
        *p++ = '\t';
        std::string& b = out_.buffer();
        if (v == nullptr || (v->flags == 0 && !v->has_rto)) {
            std::memcpy(p, "\t\t\n", 3);
            b.append(row, p + 3);
        } else {
            b.append(row, p);
            append_tsv_flags(v->flags, b);
            b.push_back('\t');
            if (v->has_rto) append_seconds6(b, v->rto);
            b.push_back('\t');
            if (v->has_rto) out_.append_u64(v->rto_frame);
            b.push_back('\n');
        }
        out_.maybe_flush();
    }
    void stream_finished(const Conversation&) override {}

private:
    const AnalyzeOptions& o_;
    Output& out_;
};

// --frames with text or json: the same per-frame facts, for people / for scripts.
class FrameListSink final : public FrameSink {
public:
    FrameListSink(const AnalyzeOptions& o, Output& out) : o_(o), out_(out) {
        if (o_.format == Format::json) out_.append("\"frames\":[");
    }
    void tcp_frame(std::uint64_t frame, std::uint32_t stream, const Verdict* v) override {
        if (!wanted(o_, stream)) return;
        std::string flags;
        if (v != nullptr) append_tsv_flags(v->flags, flags);
        const bool rto = v != nullptr && v->has_rto;
        if (o_.format == Format::json) {
            nlohmann::json j{{"frame", frame}, {"stream", stream}};
            nlohmann::json names = nlohmann::json::array();
            std::size_t start = 0;
            while (start < flags.size()) {
                const auto end = flags.find(',', start);
                names.push_back(flags.substr(start, end == std::string::npos ? end : end - start));
                if (end == std::string::npos) break;
                start = end + 1;
            }
            j["flags"] = names;
            j["rto"] = rto ? nlohmann::json::parse(seconds6(v->rto)) : nlohmann::json(nullptr);
            j["rto_frame"] = rto ? nlohmann::json(v->rto_frame) : nlohmann::json(nullptr);
            out_.append(first_ ? "\n" : ",\n");
            out_.append(j.dump());
            first_ = false;
        } else {
            std::string line =
                "frame " + std::to_string(frame) + "  stream " + std::to_string(stream);
            if (!flags.empty()) line += "  " + flags;
            if (rto)
                line += "  RTO " + seconds6(v->rto) + " s based on frame " +
                        std::to_string(v->rto_frame);
            out_.append(line + "\n");
        }
        out_.maybe_flush();
    }
    void stream_finished(const Conversation&) override {}
    void close() {
        if (o_.format == Format::json) out_.append("\n],");
    }

private:
    const AnalyzeOptions& o_;
    Output& out_;
    bool first_ = true;
};

// Per-stream reports (text, json, or a one-row-per-stream tsv), written as streams finish.
class StreamReportSink final : public FrameSink {
public:
    StreamReportSink(const AnalyzeOptions& o, Output& out) : o_(o), out_(out) {
        if (o_.format == Format::json) out_.append("\"streams\":[");
        if (o_.format == Format::tsv) {
            out_.append(
                "stream\ta\tb\tframes\tpayload_bytes\tirtt\tsyn_frame\tfirst_fin\t"
                "retransmission\tfast_retransmission\tspurious_retransmission\t"
                "out_of_order\tduplicate_ack\tlost_segment\tack_lost_segment\n");
        }
    }
    void tcp_frame(std::uint64_t, std::uint32_t, const Verdict*) override {}
    void stream_finished(const Conversation& c) override {
        // A conversation revived from its tombstone has no summary: its stream was reported
        // when it was first freed (one block per stream index; late frames are a warning).
        if (!wanted(o_, c.stream) || !c.summary || c.summary->first_frame == 0) return;
        ++reported_;
        if (!o_.plot_dir.empty()) write_plots(c);
        if (o_.format == Format::text) {
            render_stream_text(c, out_);
        } else if (o_.format == Format::json) {
            out_.append(first_ ? "\n" : ",\n");
            out_.append(render_stream_json(c).dump());
            first_ = false;
        } else {
            const StreamSummary& s = *c.summary;
            std::string& b = out_.buffer();
            b += std::to_string(c.stream) + "\t" + endpoint_text(c, 0) + "\t" +
                 endpoint_text(c, 1) + "\t" + std::to_string(s.frames[0] + s.frames[1]) + "\t" +
                 std::to_string(s.payload_bytes[0] + s.payload_bytes[1]) + "\t" +
                 (s.irtt != 0 ? seconds6(s.irtt) : "") + "\t" +
                 (s.syn ? std::to_string(s.syn->frame) : "") + "\t" +
                 (s.first_fin_dir >= 0 ? std::to_string(s.first_fin_frame) : "");
            for (int bit = 0; bit < 7; ++bit) b += "\t" + std::to_string(s.counts[bit]);
            b += "\n";
        }
        out_.maybe_flush();
        out_.flush_if_due();  // a finished stream's report is final: let it out soon
    }
    void close() {
        if (o_.format == Format::json) out_.append("\n],");
    }
    std::uint64_t reported() const { return reported_; }
    const std::vector<std::string>& plots() const { return plots_; }
    // Several files in one run: "client-stream-0-timeseq.svg" keeps their plots apart.
    void set_file_prefix(std::string prefix) { file_prefix_ = std::move(prefix); }

private:
    void write_plots(const Conversation& c) {
        const std::filesystem::path dir(o_.plot_dir);
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        for (const PlotFile& f : stream_plots(c)) {
            const std::filesystem::path path = dir / (file_prefix_ + f.name);
            std::ofstream out(path);
            out << f.svg;
            if (!out.flush()) throw SystemError("cannot write " + path.string());
            plots_.push_back(path.string());
        }
    }

    std::string file_prefix_;
    std::vector<std::string> plots_;

    const AnalyzeOptions& o_;
    Output& out_;
    bool first_ = true;
    std::uint64_t reported_ = 0;
};

std::string error_code_name(std::size_t i) {
    return std::string(packet::to_string(static_cast<packet::ErrorCode>(i)));
}

// The file's link type as the dissector knows it; a UsageError when it cannot dissect it.
packet::LinkType supported_link_type(const PcapReader& reader) {
    const std::uint32_t link_type = linktype_from_dlt(static_cast<int>(reader.link_type()));
    if (!packet::is_supported(link_type)) {
        throw UsageError("cannot analyse '" + reader.path() + "': unsupported link type " +
                         std::to_string(reader.link_type()) + " (" + reader.link_type_name() +
                         ") in the file header (before record 1)");
    }
    return static_cast<packet::LinkType>(link_type);
}

// The one sink the options ask for (frames as TSV, frames as a list, or stream reports); the
// typed pointers are set for the sinks that must be closed after the last frame.
struct Sinks {
    std::unique_ptr<FrameSink> sink;
    FrameListSink* list = nullptr;
    StreamReportSink* report = nullptr;
};

Sinks make_sinks(const PcapReader& reader, const AnalyzeOptions& options, Output& out) {
    Sinks s;
    if (options.frames && options.format == Format::tsv) {
        s.sink = std::make_unique<TsvFrameSink>(options, out);
    } else if (options.frames) {
        auto list = std::make_unique<FrameListSink>(options, out);
        s.list = list.get();
        s.sink = std::move(list);
    } else {
        auto report = std::make_unique<StreamReportSink>(options, out);
        s.report = report.get();
        s.sink = std::move(report);
        if (options.format == Format::text) {
            out.append("== " + reader.path() + " (link type " + reader.link_type_name() + ")\n\n");
        }
    }
    return s;
}

Nanos realtime_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The engine's view of a record: one place, so a live and a file read hand over the same fields.
FrameRecord frame_of(const CaptureRecord& rec) {
    FrameRecord fr;
    fr.number = rec.number;
    fr.time = rec.time_ns;
    // Pointer and size copied one by one: the reader stored them so, and a span copied whole is
    // one 16-byte load of two 8-byte stores just made, a store-forwarding stall per frame.
    const std::uint8_t* const bytes = rec.data.data();
    const std::size_t size = rec.data.size();
    fr.data = {bytes, size};
    fr.wire_length = rec.wire_length;
    return fr;
}

// A live capture: records as they come, the streams' idle clock advanced once a second (so a
// stream's report comes out while the link is quiet), output flushed as it is due. Ends at
// --count records, after --duration, or at a stop request. True when a signal stopped it.
bool feed_live(PcapReader& reader, Engine& engine, const AnalyzeOptions& o, Output& out) {
    using Clock = std::chrono::steady_clock;
    constexpr int kBatch = 4096;  // records between two looks at the clock and the stop flag
    constexpr auto kTick = std::chrono::seconds(1);
    constexpr auto kLongestWait = std::chrono::milliseconds(250);
    const auto start = Clock::now();
    auto next_tick = start + kTick;
    pollfd fds[2] = {{reader.selectable_fd(), POLLIN, 0}, {o.stop_fd, POLLIN, 0}};
    for (;;) {
        for (int i = 0; i < kBatch; ++i) {
            const auto rec = reader.next();
            if (!rec) break;
            engine.process(frame_of(*rec));
            if (rec->number == o.max_frames) return false;
        }
        if (reader.at_end()) return false;
        if (stop_requested()) return true;
        const auto now = Clock::now();
        if (o.max_duration.count() > 0 && now - start >= o.max_duration) return false;
        if (now >= next_tick) {
            engine.advance_clock(realtime_now());
            next_tick = now + kTick;
        }
        out.flush_if_due();
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kLongestWait);
        if (o.max_duration.count() > 0) {
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(start + o.max_duration - now);
            wait = std::min(wait, left);
        }
        ::poll(fds, o.stop_fd >= 0 ? 2 : 1, static_cast<int>(wait.count()));
    }
}

// A file (or stdin) to its end, or to --count records, or to a stop request (true then).
bool feed_file(PcapReader& reader, Engine& engine, const AnalyzeOptions& o) {
    bool interrupted = false;
    while (auto rec = reader.next()) {
        engine.process(frame_of(*rec));
        if (rec->number == o.max_frames) break;
        if (rec->number % kProgressEvery == 0) {
            if (o.progress) o.progress(reader.progress());
            if (stop_requested()) {
                interrupted = true;
                break;
            }
        }
    }
    if (o.progress) o.progress(reader.progress());
    return interrupted || stop_requested();
}

// Why the report may be incomplete: where reading stopped, records that did not decode, frames
// that came after their stream was reported.
std::vector<std::string> warnings_of(const PcapReader& reader, const Observations& obs,
                                     bool interrupted) {
    const std::string& path = reader.path();
    std::vector<std::string> warnings;
    if (interrupted && !reader.live()) {
        warnings.push_back(path + ": stopped by a signal after record " +
                           std::to_string(obs.frames) + "; reported the records before it");
    }
    if (const std::uint64_t dropped = reader.dropped(); dropped != 0) {
        warnings.push_back(path + ": the kernel dropped " + std::to_string(dropped) +
                           " packet(s) that were not read in time; they are not analysed");
    }
    if (const auto& stop = reader.stopped()) {
        warnings.push_back(
            path + ": record " + std::to_string(stop->record) +
            (stop->offset >= 0 ? " at byte offset " + std::to_string(stop->offset) : "") + ": " +
            stop->message + "; reported the " + std::to_string(obs.frames) + " records before it");
    }
    if (obs.first_error_frame != 0) {
        std::uint64_t total = 0;
        for (auto n : obs.parse_errors) total += n;
        warnings.push_back(
            path + ": " + std::to_string(total) + " record(s) could not be decoded, first record " +
            std::to_string(obs.first_error_frame) + " at byte " +
            std::to_string(obs.first_error.offset) +
            " of the frame: " + std::string(packet::to_string(obs.first_error.code)) + " (" +
            obs.first_error.what + ")");
    }
    if (obs.frames_after_report != 0) {
        // One block per tcp.stream: the stream was reported (and freed) when it went idle, so
        // its late frames are analysed as tshark does but cannot join that block any more.
        warnings.push_back(
            path + ": " + std::to_string(obs.frames_after_report) +
            " frame(s) arrived on a stream already reported, first frame " +
            std::to_string(obs.first_frame_after_report) + " on stream " +
            std::to_string(obs.first_stream_after_report) +
            " (idle past the limit: 120 s after FIN/RST, 3 h otherwise); they continue its "
            "analysis (see --frames) but are not in its report");
    }
    return warnings;
}

nlohmann::json summary_json(const PcapReader& reader, const Observations& obs,
                            std::uint32_t streams) {
    nlohmann::json o;
    o["link_type"] = reader.link_type_name();
    o["records"] = obs.frames;
    o["tcp_frames"] = obs.tcp_frames;
    o["streams"] = streams;
    nlohmann::json observations = {{"not_ip", obs.not_ip},
                                   {"not_tcp", obs.not_tcp},
                                   {"fragments_skipped", obs.fragments_skipped},
                                   {"icmp_quoted_tcp", obs.icmp_quoted_tcp},
                                   {"tcp_in_tunnels", obs.tcp_in_tunnels},
                                   {"short_tcp_header", obs.short_tcp_header},
                                   {"truncated_tcp_header", obs.truncated_tcp_header},
                                   {"frames_after_report", obs.frames_after_report}};
    for (std::size_t i = 0; i < obs.parse_errors.size(); ++i) {
        observations[error_code_name(i)] = obs.parse_errors[i];
    }
    o["observations"] = observations;
    return o;
}

void append_text_summary(const Observations& obs, std::uint32_t streams,
                         const std::vector<std::string>& warnings, Output& out) {
    out.append(
        std::to_string(obs.frames) + " records, " + std::to_string(obs.tcp_frames) + " TCP frames" +
        (obs.tcp_in_tunnels != 0 ? " (" + std::to_string(obs.tcp_in_tunnels) + " inside tunnels)"
                                 : std::string()) +
        ", " + std::to_string(streams) + " TCP streams");
    if (obs.not_ip + obs.not_tcp + obs.fragments_skipped != 0) {
        out.append("; skipped: " + std::to_string(obs.not_ip) + " not IP, " +
                   std::to_string(obs.not_tcp) + " not TCP, " +
                   std::to_string(obs.fragments_skipped) + " IP fragments");
    }
    out.append("\n");
    for (const auto& w : warnings) out.append("warning: " + w + "\n");
}

}  // namespace

void json_begin_files(Output& out) { out.append("{\"files\":[\n"); }
void json_end_files(Output& out) { out.append("\n]}\n"); }

FileOutcome analyze_file(const std::string& path, const AnalyzeOptions& options, Output& out) {
    PcapReader reader(path);
    return analyze_capture(reader, options, out);
}

FileOutcome analyze_capture(PcapReader& reader, const AnalyzeOptions& options, Output& out) {
    const std::string& path = reader.path();
    const packet::LinkType link_type = supported_link_type(reader);
    const bool json = options.format == Format::json;
    if (options.label_files && !json) out.append("# file: " + path + "\n");
    if (json) out.append(options.json_separator + "{\"file\":" + nlohmann::json(path).dump() + ",");

    if (!options.filter.empty()) reader.set_filter(options.filter);
    if (!options.save_to.empty()) reader.save_to(options.save_to);
    if (options.started) options.started(reader);

    Sinks sinks = make_sinks(reader, options, out);
    if (!options.plot_dir.empty() && sinks.report == nullptr) {
        throw UsageError("--plot draws each stream's report: it does not go with --frames");
    }
    if (sinks.report != nullptr && options.label_files) {
        sinks.report->set_file_prefix(std::filesystem::path(path).stem().string() + "-");
    }
    Engine engine(link_type, sinks.report != nullptr, *sinks.sink, options.max_events_per_stream,
                  !options.plot_dir.empty());
    const bool interrupted = reader.live() ? feed_live(reader, engine, options, out)
                                           : feed_file(reader, engine, options);
    engine.finish();
    if (sinks.list != nullptr) sinks.list->close();
    if (sinks.report != nullptr) sinks.report->close();

    FileOutcome outcome;
    const Observations& obs = engine.observations();
    outcome.frames = obs.frames;
    outcome.tcp_frames = obs.tcp_frames;
    outcome.streams = engine.streams();
    outcome.warnings = warnings_of(reader, obs, interrupted);
    if (sinks.report != nullptr) outcome.plots = sinks.report->plots();
    if (json) {
        out.append("\"summary\":" + summary_json(reader, obs, engine.streams()).dump() +
                   ",\"warnings\":" + nlohmann::json(outcome.warnings).dump() + "}");
        if (!options.label_files) out.append("\n");
    } else if (options.format == Format::text && !options.frames) {
        append_text_summary(obs, engine.streams(), outcome.warnings, out);
    }
    out.flush();
    return outcome;
}

}  // namespace tcplab::analyzer
