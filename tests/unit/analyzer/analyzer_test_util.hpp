#pragma once
// Helpers for the analyzer tests: build minimal TCP conversations packet by packet (raw IP
// frames via packet::build_tcp_packet), run them through the Engine, write them as a pcap, and
// ask tshark (through the committed scripts/tshark_expected.sh) what it says about the same file.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "analyzer/detail/output.hpp"
#include "analyzer/engine.hpp"
#include "analyzer/flags.hpp"
#include "analyzer/report.hpp"
#include "packet/builder.hpp"
#include "tests/support/pcap_file.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"

namespace tcplab::analyzer::test {

struct Row {
    std::uint64_t frame = 0;
    std::string stream;
    std::string flags;
    std::string rto;
    std::string rto_frame;
    friend bool operator==(const Row&, const Row&) = default;
};

inline std::string to_string(const Row& r) {
    return std::to_string(r.frame) + "\t" + r.stream + "\t" + r.flags + "\t" + r.rto + "\t" +
           r.rto_frame;
}

using Frame = test_support::PcapRecord;  // time_ns, bytes: a raw IP packet

namespace tf = packet::tcp_flag;
constexpr std::uint16_t kAck = tf::kAck;
constexpr std::uint16_t kPshAck = tf::kPsh | tf::kAck;
constexpr std::uint16_t kFinAck = tf::kFin | tf::kAck;

// A conversation between a (client) and b (server) written with relative seq/ack numbers.
class Script {
public:
    explicit Script(std::uint32_t isn_a = 1000, std::uint32_t isn_b = 500000,
                    std::uint16_t port_a = 40000)
        : isn_{isn_a, isn_b}, port_{port_a, 5001} {
        addr_[0] = *packet::IpAddress::parse("198.18.200.2");
        addr_[1] = *packet::IpAddress::parse("198.19.200.2");
    }
    Script& ports(std::uint16_t a, std::uint16_t b) {
        port_[0] = a;
        port_[1] = b;
        return *this;
    }
    // Other endpoint addresses (e.g. IPv6) for the segments added after this call.
    Script& addresses(const char* a, const char* b) {
        addr_[0] = *packet::IpAddress::parse(a);
        addr_[1] = *packet::IpAddress::parse(b);
        return *this;
    }
    // One segment from side (0 = a, 1 = b) at t_ms, relative seq/ack (ack ignored without ACK).
    Script& seg(int side, double t_ms, std::uint16_t flags, std::uint32_t seq, std::uint32_t ack,
                std::uint32_t len = 0, std::uint16_t window = 1000,
                std::vector<packet::TcpOption> options = {}) {
        packet::IpParams ip;
        ip.src = addr_[side];
        ip.dst = addr_[1 - side];
        packet::TcpHeader t;
        t.src_port = port_[side];
        t.dst_port = port_[1 - side];
        t.seq = packet::SeqNum(isn_[side] + seq);
        t.ack = (flags & tf::kAck) != 0 ? packet::SeqNum(isn_[1 - side] + ack) : packet::SeqNum(0);
        t.flags = flags;
        t.window = window;
        t.option_list = std::move(options);
        const std::vector<std::uint8_t> payload(len, 'x');
        frames_.push_back({static_cast<std::int64_t>(t_ms * 1e6) + kEpoch,
                           packet::build_tcp_packet(ip, t, payload)});
        sides_.push_back(side);
        return *this;
    }
    Script& a(double t, std::uint16_t f, std::uint32_t s, std::uint32_t k, std::uint32_t len = 0,
              std::uint16_t w = 1000) {
        return seg(0, t, f, s, k, len, w);
    }
    Script& b(double t, std::uint16_t f, std::uint32_t s, std::uint32_t k, std::uint32_t len = 0,
              std::uint16_t w = 1000) {
        return seg(1, t, f, s, k, len, w);
    }
    // SYN, SYN-ACK, ACK at t, t+rtt/2, t+rtt (window scale 0 both ways, so windows are bytes).
    Script& handshake(double t = 0, double rtt_ms = 1.0, std::uint8_t ws = 0) {
        const auto opts = [ws] {
            return std::vector<packet::TcpOption>{
                packet::TcpOption::make_mss(1460), packet::TcpOption::make_sack_permitted(),
                packet::TcpOption::make_nop(), packet::TcpOption::make_window_scale(ws)};
        };
        seg(0, t, tf::kSyn, 0, 0, 0, 64240, opts());
        seg(1, t + rtt_ms / 2, tf::kSyn | tf::kAck, 0, 1, 0, 65160, opts());
        seg(0, t + rtt_ms, tf::kAck, 1, 1, 0, 1000);
        return *this;
    }
    const std::vector<Frame>& frames() const { return frames_; }
    const std::vector<int>& sides() const { return sides_; }  // who sent each frame (0: a)

    static constexpr std::int64_t kEpoch = 1'700'000'000LL * 1'000'000'000LL;

private:
    std::uint32_t isn_[2];
    std::uint16_t port_[2];
    packet::IpAddress addr_[2];
    std::vector<Frame> frames_;
    std::vector<int> sides_;
};

// Unrelated (UDP) frames at capture time at_ns, as many as it takes for the stream table's idle
// sweep to run once (every StreamTable::kSweepEvery frames): a silence that frees idle streams.
inline void append_idle_sweep(std::vector<Frame>& frames, std::int64_t at_ns) {
    packet::IpParams ip;
    ip.src = *packet::IpAddress::parse("198.18.200.9");
    ip.dst = *packet::IpAddress::parse("198.19.200.9");
    packet::UdpHeader udp;
    udp.src_port = 9;
    udp.dst_port = 9;
    const Frame filler{at_ns, packet::build_udp_packet(ip, udp, {})};
    frames.insert(frames.end(), StreamTable::kSweepEvery, filler);
}

// Collects what the TSV would print, without going through text.
class RowSink final : public FrameSink {
public:
    void tcp_frame(std::uint64_t frame, std::uint32_t stream, const Verdict* v) override {
        Row r;
        r.frame = frame;
        r.stream = std::to_string(stream);
        if (v != nullptr) {
            append_tsv_flags(v->flags, r.flags);
            if (v->has_rto) {
                r.rto = seconds6(v->rto);
                r.rto_frame = std::to_string(v->rto_frame);
            }
        }
        rows.push_back(r);
    }
    void stream_finished(const Conversation&) override { ++finished; }
    std::vector<Row> rows;
    int finished = 0;
};

inline std::vector<Row> run_engine(const std::vector<Frame>& frames) {
    RowSink sink;
    Engine engine(packet::LinkType::raw, true, sink);
    std::uint64_t n = 0;
    for (const auto& f : frames) engine.process({++n, f.time_ns, f.bytes});
    engine.finish();
    return sink.rows;
}

// Writes frames as a nanosecond pcap with LINKTYPE_RAW.
inline void write_pcap(const std::filesystem::path& path, const std::vector<Frame>& frames) {
    test_support::write_pcap(path, test_support::kLinkTypeRaw, frames);
}

inline std::vector<Row> parse_tsv(const std::string& text) {
    std::vector<Row> rows;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line.rfind("frame\t", 0) == 0) continue;
        std::vector<std::string> cols;
        std::size_t start = 0;
        for (;;) {
            const auto tab = line.find('\t', start);
            cols.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
        cols.resize(5);
        rows.push_back({std::stoull(cols[0]), cols[1], cols[2], cols[3], cols[4]});
    }
    return rows;
}

// tshark's rows for a pcap, through the committed oracle script.
inline std::optional<std::vector<Row>> tshark_rows(const std::filesystem::path& pcap) {
    if (!test_support::have_tool("tshark")) return std::nullopt;
    const auto r =
        test_support::shell("bash '" + std::string(TCPLAB_SOURCE_DIR) +
                            "/scripts/tshark_expected.sh' '" + pcap.string() + "' 2>/dev/null");
    if (r.exit_code != 0) return std::nullopt;
    return parse_tsv(r.out);
}

// Runs the library exactly as `tcplab analyze FILE` does with these options; returns stdout.
inline std::string analyse_file_output(const std::filesystem::path& capture,
                                       const AnalyzeOptions& o, FileOutcome* outcome = nullptr) {
    char* data = nullptr;
    std::size_t size = 0;
    FILE* mem = open_memstream(&data, &size);
    {
        Output out(mem);
        const FileOutcome result = analyze_file(capture.string(), o, out);
        if (outcome != nullptr) *outcome = result;
    }
    std::fclose(mem);
    std::string text(data, size);
    std::free(data);
    return text;
}

// "frame 12: expected 'retransmission' got ''" lines for the first max disagreements.
inline std::string describe_diff(const std::vector<Row>& expected, const std::vector<Row>& actual,
                                 std::size_t max = 20) {
    std::string out;
    std::size_t shown = 0;
    const std::size_t n = std::max(expected.size(), actual.size());
    for (std::size_t i = 0; i < n && shown < max; ++i) {
        const Row* e = i < expected.size() ? &expected[i] : nullptr;
        const Row* a = i < actual.size() ? &actual[i] : nullptr;
        if (e != nullptr && a != nullptr && *e == *a) continue;
        out += "  row " + std::to_string(i + 1) + ": expected [" + (e ? to_string(*e) : "<none>") +
               "]  got [" + (a ? to_string(*a) : "<none>") + "]\n";
        ++shown;
    }
    return out;
}

}  // namespace tcplab::analyzer::test
