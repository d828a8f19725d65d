// Per-stream statistics against the reference tools, on every committed capture:
// - frames and bytes each way against tshark's conversation table (`tshark -q -z conv,tcp`),
//   and bytes exactly against tshark's own frame.len per stream and sender;
// - RTT samples, re-sent and unique bytes and throughput against `tcptrace -l -r --csv`;
// - SequenceSpace's sampling rules (Karn, exact ACKs) and the zero-window time on crafted streams.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "analyzer/detail/stream_stats.hpp"
#include "analyzer_test_util.hpp"
#include "tests/support/tshark.hpp"

namespace tcplab::analyzer::test {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> captures() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(fs::path(TCPLAB_TEST_DATA) / "analyzer")) {
        const auto ext = e.path().extension();
        if (ext == ".pcap" || ext == ".pcapng") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

nlohmann::json our_streams(const fs::path& capture) {
    AnalyzeOptions o;
    o.format = Format::json;
    return nlohmann::json::parse(analyse_file_output(capture, o))["streams"];
}

// "[fd7c::2]:80" -> "fd7c::2:80", the way tshark and tcptrace write an endpoint.
std::string plain(std::string endpoint) {
    std::erase(endpoint, '[');
    std::erase(endpoint, ']');
    return endpoint;
}

// tshark 4.0's format_size() for the conversation table: exact below 10 kB, else truncated to
// the largest SI unit that leaves at least 10 of it ("670 kB" for 670968 bytes).
std::string tshark_size(std::uint64_t bytes) {
    static const char* kUnits[] = {"bytes", "kB", "MB", "GB", "TB"};
    int unit = 0;
    std::uint64_t shown = bytes;
    for (std::uint64_t power = 1000; unit < 4 && bytes / power >= 10; power *= 1000) {
        ++unit;
        shown = bytes / power;
    }
    return std::to_string(shown) + " " + kUnits[unit];
}

struct ConvRow {
    std::string a, b;  // tshark's endpoint A and B
    std::uint64_t frames_b_to_a = 0, frames_a_to_b = 0;
    std::string bytes_b_to_a, bytes_a_to_b;
    double rel_start = 0;
};

std::vector<ConvRow> tshark_conversations(const fs::path& capture) {
    const auto r =
        test_support::shell("tshark -q -z conv,tcp -r '" + capture.string() + "' 2>/dev/null");
    // Exit status 2 for a capture cut off mid-record (truncated_fin_loss): the rows still count.
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << capture;
    // A:port <-> B:port   <-frames <-bytes unit   ->frames ->bytes unit   total...   start  dur
    static const std::regex kRow(
        R"(^(\S+)\s+<->\s+(\S+)\s+(\d+) (\d+ \w+)\s+(\d+) (\d+ \w+)\s+\d+ \d+ \w+\s+([\d.]+)\s+[\d.]+\s*$)");
    std::vector<ConvRow> rows;
    std::istringstream in(r.out);
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
        if (!std::regex_match(line, m, kRow)) continue;
        rows.push_back(
            {m[1], m[2], std::stoull(m[3]), std::stoull(m[5]), m[4], m[6], std::stod(m[7])});
    }
    return rows;
}

TEST(StreamStatistics, FramesAndBytesEachWayEqualTsharksConversationTable) {
    if (!test_support::have_tool("tshark")) GTEST_SKIP() << "tshark not installed";
    std::size_t compared = 0;
    for (const fs::path& capture : captures()) {
        SCOPED_TRACE(capture.filename().string());
        const nlohmann::json streams = our_streams(capture);
        const std::vector<ConvRow> rows = tshark_conversations(capture);
        ASSERT_EQ(rows.size(), streams.size()) << "one conversation row per reported stream";
        for (const ConvRow& row : rows) {
            // tshark orders A and B by its own rule; find our stream by endpoints and start.
            const nlohmann::json* match = nullptr;
            bool swapped = false;
            for (const auto& s : streams) {
                const std::string a = plain(s["endpoints"]["a"]);
                const std::string b = plain(s["endpoints"]["b"]);
                const bool same = a == row.a && b == row.b;
                const bool reversed = a == row.b && b == row.a;
                if ((same || reversed) &&
                    std::abs(s["relative_start"].get<double>() - row.rel_start) < 1e-6) {
                    match = &s;
                    swapped = reversed;
                }
            }
            ASSERT_NE(match, nullptr) << "no stream for " << row.a << " <-> " << row.b
                                      << " starting at " << row.rel_start;
            const nlohmann::json& s = *match;
            const char* to_b = swapped ? "b_to_a" : "a_to_b";
            const char* to_a = swapped ? "a_to_b" : "b_to_a";
            EXPECT_EQ(s["frames"][to_b].get<std::uint64_t>(), row.frames_a_to_b) << s["index"];
            EXPECT_EQ(s["frames"][to_a].get<std::uint64_t>(), row.frames_b_to_a) << s["index"];
            EXPECT_EQ(tshark_size(s["bytes"][to_b]), row.bytes_a_to_b) << s["index"];
            EXPECT_EQ(tshark_size(s["bytes"][to_a]), row.bytes_b_to_a) << s["index"];
            ++compared;
        }
    }
    EXPECT_GE(compared, 50u) << "streams compared over the corpus";
}

// The table rounds above 10 kB; tshark's frame.len summed per stream and sender is exact.
TEST(StreamStatistics, BytesEachWayEqualTsharksFrameLengths) {
    if (!test_support::have_tool("tshark")) GTEST_SKIP() << "tshark not installed";
    for (const fs::path& capture : captures()) {
        SCOPED_TRACE(capture.filename().string());
        // The conversation table leaves out TCP quoted in ICMP errors and frames whose TCP
        // header the snaplen cut (tshark stops dissecting them before the tap): so does the
        // filter, and the stream report too.
        const auto lines = test_support::tshark_fields(
            capture, {"tcp.stream", "frame.len", "ip.src", "ipv6.src", "tcp.srcport"},
            "tcp && !icmp && !icmpv6 && !_ws.short");
        std::map<std::pair<std::uint64_t, std::string>, std::uint64_t> expected;
        for (const std::string& line : lines) {
            std::vector<std::string> f;
            std::istringstream cols(line);
            for (std::string c; std::getline(cols, c, '\t');) f.push_back(c);
            ASSERT_EQ(f.size(), 5u) << line;
            const std::string host = f[2].empty() ? f[3] : f[2];
            expected[{std::stoull(f[0]), host + ":" + f[4]}] += std::stoull(f[1]);
        }
        std::map<std::pair<std::uint64_t, std::string>, std::uint64_t> ours;
        for (const auto& s : our_streams(capture)) {
            const std::uint64_t index = s["index"];
            for (const auto& [from, dir] : {std::pair{"a", "a_to_b"}, std::pair{"b", "b_to_a"}}) {
                const std::uint64_t bytes = s["bytes"][dir];
                if (bytes != 0) ours[{index, plain(s["endpoints"][from])}] = bytes;
            }
        }
        EXPECT_EQ(ours, expected);
    }
}

struct TcptraceRow {
    std::map<std::string, std::string> field;
    std::string get(const std::string& name) const {
        const auto it = field.find(name);
        return it == field.end() ? "" : it->second;
    }
};

std::vector<TcptraceRow> tcptrace_connections(const fs::path& capture) {
    const auto r =
        test_support::shell("tcptrace -l -r -n --csv '" + capture.string() + "' 2>/dev/null");
    std::vector<TcptraceRow> rows;
    std::vector<std::string> header;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> cols;
        std::istringstream cells(line);
        for (std::string c; std::getline(cells, c, ',');) {
            const auto b = c.find_first_not_of(' ');
            const auto e = c.find_last_not_of(' ');
            cols.push_back(b == std::string::npos ? "" : c.substr(b, e - b + 1));
        }
        if (!cols.empty() && cols[0] == "conn_#") {
            header = cols;
        } else if (!header.empty() && cols.size() >= header.size()) {
            TcptraceRow row;
            for (std::size_t i = 0; i < header.size(); ++i) row.field[header[i]] = cols[i];
            rows.push_back(row);
        }
    }
    return rows;
}

// tcptrace prints milliseconds with one decimal.
void expect_ms(const nlohmann::json& seconds, const std::string& tcptrace_ms, const char* what) {
    const double ours = seconds.is_null() ? 0.0 : seconds.get<double>() * 1e3;
    EXPECT_NEAR(ours, std::stod(tcptrace_ms), 0.0501) << what;
}

TEST(StreamStatistics, RttRetransmittedAndUniqueBytesEqualTcptrace) {
    if (!test_support::have_tool("tcptrace")) GTEST_SKIP() << "tcptrace not installed";
    std::size_t compared = 0;
    std::uint64_t samples = 0;
    for (const fs::path& capture : captures()) {
        SCOPED_TRACE(capture.filename().string());
        const nlohmann::json streams = our_streams(capture);
        // tcptrace splits connections its own way: compare where both list the same number of
        // connections for a pair of endpoints, in order.
        std::map<std::string, std::vector<const nlohmann::json*>> ours;
        for (const auto& s : streams) {
            ours[plain(s["endpoints"]["a"]) + " " + plain(s["endpoints"]["b"])].push_back(&s);
        }
        std::map<std::string, std::vector<TcptraceRow>> theirs;
        for (const auto& row : tcptrace_connections(capture)) {
            theirs[row.get("host_a") + ":" + row.get("port_a") + " " + row.get("host_b") + ":" +
                   row.get("port_b")]
                .push_back(row);
        }
        for (const auto& [pair, rows] : theirs) {
            const auto it = ours.find(pair);
            if (it == ours.end() || it->second.size() != rows.size()) continue;
            for (std::size_t i = 0; i < rows.size(); ++i) {
                const nlohmann::json& s = *it->second[i];
                const TcptraceRow& t = rows[i];
                SCOPED_TRACE("stream " + std::to_string(s["index"].get<int>()));
                for (const auto& [dir, suffix] :
                     {std::pair{"a_to_b", "_a2b"}, std::pair{"b_to_a", "_b2a"}}) {
                    const auto col = [&, suffix = std::string(suffix)](const std::string& name) {
                        return t.get(name + suffix);
                    };
                    const nlohmann::json& rtt = s["rtt"][dir];
                    EXPECT_EQ(rtt["samples"].get<std::uint64_t>(), std::stoull(col("RTT_samples")))
                        << dir;
                    expect_ms(rtt["min"], col("RTT_min"), "RTT min");
                    expect_ms(rtt["max"], col("RTT_max"), "RTT max");
                    expect_ms(rtt["avg"], col("RTT_avg"), "RTT avg");
                    expect_ms(rtt["stddev"], col("RTT_stdev"), "RTT stddev");
                    EXPECT_EQ(s["retransmitted_bytes"][dir].get<std::uint64_t>(),
                              std::stoull(col("rexmt_data_bytes")))
                        << dir;
                    EXPECT_EQ(s["unique_bytes"][dir].get<std::uint64_t>(),
                              std::stoull(col("unique_bytes_sent")))
                        << dir;
                    const double bps =
                        s["throughput"][dir].is_null() ? 0.0 : s["throughput"][dir].get<double>();
                    EXPECT_NEAR(bps, std::stod(col("throughput")), 1.0) << dir;
                    samples += rtt["samples"].get<std::uint64_t>();
                }
                ++compared;
            }
        }
    }
    EXPECT_GE(compared, 40u) << "streams compared over the corpus";
    EXPECT_GE(samples, 100u) << "RTT samples compared over the corpus";
}

constexpr Nanos kMs = 1'000'000;

TEST(SequenceSpace, ExactAckOfASegmentSentOnceIsASample) {
    SequenceSpace s;
    EXPECT_EQ(s.send(SeqNum(1000), 100, 0), 0u);
    EXPECT_EQ(s.send(SeqNum(1100), 100, 1 * kMs), 0u);
    EXPECT_EQ(s.ack(SeqNum(1100), 5 * kMs), std::optional<Nanos>(5 * kMs));
    EXPECT_EQ(s.ack(SeqNum(1200), 7 * kMs), std::optional<Nanos>(6 * kMs));
    EXPECT_EQ(s.ack(SeqNum(1200), 8 * kMs), std::nullopt) << "a duplicate ACK is no sample";
}

TEST(SequenceSpace, KarnNoSampleForAResentSegmentNorForOneAckedPastItsEnd) {
    SequenceSpace s;
    s.send(SeqNum(1000), 100, 0);
    s.send(SeqNum(1100), 100, 1 * kMs);
    s.send(SeqNum(1200), 100, 2 * kMs);
    EXPECT_EQ(s.send(SeqNum(1000), 100, 10 * kMs), 100u) << "re-sent bytes";
    EXPECT_EQ(s.ack(SeqNum(1100), 12 * kMs), std::nullopt) << "sent twice: ambiguous";
    EXPECT_EQ(s.ack(SeqNum(1300), 13 * kMs), std::nullopt)
        << "1000 was re-sent after 1200..1300 was first sent: an intervening transmission";
}

TEST(SequenceSpace, ReSendOverlappingNewDataCountsOnlyTheOverlap) {
    SequenceSpace s;
    s.send(SeqNum(0xFFFFFF00u), 0x100, 0);  // wraps past 2^32
    EXPECT_EQ(s.send(SeqNum(0xFFFFFF80u), 0x180, 1 * kMs), 0x80u);
    EXPECT_EQ(s.ack(SeqNum(0x100), 4 * kMs), std::optional<Nanos>(3 * kMs))
        << "the new part is its own segment, sent once";
}

TEST(StreamStatistics, ZeroWindowTimeLastsUntilTheWindowOpens) {
    Script sc;
    sc.handshake(0, 1.0);
    sc.a(2, kPshAck, 1, 1, 1000);
    sc.b(3, kAck, 1, 1001, 0, 0);      // zero window from 3 ms
    sc.b(8, kAck, 1, 1001, 0, 0);      // still zero
    sc.b(13, kAck, 1, 1001, 0, 2000);  // open again at 13 ms: 10 ms closed
    sc.a(14, kPshAck, 1001, 1, 500);
    sc.b(15, kAck, 1, 1501, 0, 0);  // closed until the end at 20 ms: 5 ms more
    sc.a(20, kAck, 1501, 1);
    test_support::ScratchDir dir("zero-window");
    write_pcap(dir.path() / "zw.pcap", sc.frames());
    const nlohmann::json s = our_streams(dir.path() / "zw.pcap").at(0);
    EXPECT_DOUBLE_EQ(s["zero_window_time"]["b_to_a"].get<double>(), 0.015);
    EXPECT_DOUBLE_EQ(s["zero_window_time"]["a_to_b"].get<double>(), 0.0);
}

}  // namespace
}  // namespace tcplab::analyzer::test
