#pragma once
// The per-frame driver: dissect one captured frame, find its conversation (tcp.stream), run the
// sequence analysis and the handshake/window-scale/completeness bookkeeping in tshark's order,
// and hand the verdict to a sink. One pass, no per-frame allocation on the TSV path.
#include <array>
#include <cstdint>
#include <span>

#include "analyzer/detail/stream_table.hpp"
#include "analyzer/detail/tcp_analysis.hpp"
#include "packet/dissect.hpp"
#include "packet/link.hpp"
#include "packet/result.hpp"

namespace tcplab::analyzer {

struct FrameRecord {
    std::uint64_t number = 0;  // 1-based record number in the file
    Nanos time = 0;
    std::span<const std::uint8_t> data;  // the captured bytes
    std::uint32_t wire_length = 0;       // the frame's length on the wire
};

// Receives results as they happen. verdict is null for a TCP header that gets a stream index but
// no analysis (quoted in an ICMP error, or too short for its own header length).
class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void tcp_frame(std::uint64_t frame, std::uint32_t stream, const Verdict* verdict) = 0;
    virtual void stream_finished(const Conversation& conversation) = 0;
};

// Bad input is an observation, counted under a stable name, never a crash (Zeek style).
struct Observations {
    std::uint64_t frames = 0;
    std::uint64_t tcp_frames = 0;
    std::uint64_t not_ip = 0;
    std::uint64_t not_tcp = 0;
    std::uint64_t fragments_skipped = 0;
    std::uint64_t icmp_quoted_tcp = 0;
    std::uint64_t tcp_in_tunnels = 0;  // TCP found inside IP-in-IP, GRE, VXLAN, Geneve, GTP-U, ...
    std::uint64_t short_tcp_header = 0;
    std::uint64_t truncated_tcp_header = 0;  // cut by the snaplen, analysed from its first bytes //
                                             // IP length smaller than the TCP header: no analysis
    // Report mode: frames of a stream revived after its report was written (it had been idle
    // past the limit and freed). They are analysed and in --frames output, not in the report.
    std::uint64_t frames_after_report = 0;
    std::uint64_t first_frame_after_report = 0;
    std::uint32_t first_stream_after_report = 0;
    std::array<std::uint64_t, 6> parse_errors{};  // indexed by packet::ErrorCode
    std::uint64_t first_error_frame = 0;
    packet::ParseError first_error{};
};

class Engine {
public:
    // max_events_per_stream: how many events a stream summary lists (the counts cover all).
    // collect_plot: keep every frame of a summary's stream for the plots (memory grows with it).
    Engine(packet::LinkType link, bool collect_summaries, FrameSink& sink,
           std::size_t max_events_per_stream = kDefaultMaxEventsPerStream,
           bool collect_plot = false);
    void process(const FrameRecord& record);
    // A live capture's clock moved on to `now` without a frame: finalises the streams idle past
    // their limit by then, as a frame at that time would.
    void advance_clock(Nanos now);
    // Finalises every open stream (in stream order).
    void finish();
    const Observations& observations() const { return obs_; }
    std::uint32_t streams() const { return table_.streams_created(); }
    std::size_t open_streams() const { return table_.open_count(); }

private:
    void handle_tcp(const FrameRecord& record, const packet::Dissected& d, bool quoted,
                    bool header_captured = true);
    void handle_icmp(const FrameRecord& record, const packet::Dissected& d);
    void summarise(Conversation& c, int dir, const FrameRecord& record, const packet::Dissected& d,
                   const Verdict& v, bool completed_handshake);
    void note_error(const FrameRecord& record, const packet::ParseError& e);

    packet::LinkType link_;
    bool collect_;
    std::size_t max_events_;
    bool collect_plot_;
    FrameSink& sink_;
    StreamTable table_;
    StreamTable::Finalise finalise_;
    Observations obs_;
    Nanos capture_start_ = 0;  // the first record's time
    // The frame being processed, dissected in place: reused, as building one per frame zeroes
    // 216 bytes every time.
    packet::Dissected frame_;
};

}  // namespace tcplab::analyzer
