// The user-space client against the kernel's TCP, in two fresh namespaces. The server-side
// capture is judged by tshark (checksums validated, tcp.completeness), the listener application
// counts the bytes it received.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "gen_fixture.hpp"
#include "generator/probe.hpp"
#include "generator/segment.hpp"
#include "generator/tcp_client.hpp"

namespace tcplab::gen {
namespace {

using namespace testing;  // NOLINT: the fixtures above

constexpr std::uint16_t kPort = 8080;

class GenNetns : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "needs root (network namespaces, raw sockets, nftables)";
        }
        pair_ = std::make_unique<NetnsPair>();
        ASSERT_EQ(pair_->error(), "");
        scratch_.emplace(std::string("gen-") +
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
        dir_ = scratch_->path();
    }
    void TearDown() override {
        pair_.reset();
        if (scratch_ && HasFailure()) {
            scratch_->keep();  // the captures, for a human to read
        }
    }

    HandshakeResult handshake(const HandshakeOptions& o) {
        HandshakeResult result;
        tcplab::run_in_netns(pair_->a(), [&] { result = run_handshake(o); });
        return result;
    }

    HandshakeOptions options(bool ipv6) const {
        HandshakeOptions o;
        o.src = *packet::IpAddress::parse(ipv6 ? pair_->v6(1) : pair_->v4(1));
        o.dst.address = *packet::IpAddress::parse(ipv6 ? pair_->v6(2) : pair_->v4(2));
        o.dst.port = kPort;
        o.sack = true;
        o.timestamps = true;
        o.wscale = 7;
        o.timeout = std::chrono::seconds(20);
        return o;
    }

    // Every packet in the capture: no malformed or error-level expert mark, checksums good.
    void expect_clean(const std::filesystem::path& pcap, bool ipv6) {
        EXPECT_TRUE(
            tshark_fields(pcap, {"frame.number"}, "_ws.malformed || _ws.expert.severity >= error")
                .empty());
        const auto rows = tshark_fields(pcap, {"ip.checksum.status", "tcp.checksum.status"}, "tcp");
        EXPECT_FALSE(rows.empty());
        for (const auto& row : rows) {
            EXPECT_EQ(row, ipv6 ? "\t1" : "1\t1") << pcap;  // 1 = good; IPv6 has no header checksum
        }
    }

    // drop_every: 0 for a clean path, N to drop every Nth packet of the connection each way.
    void run_complete_exchange(bool ipv6, int drop_every, std::uint64_t bytes) {
        const bool lossy = drop_every > 0;
        if (lossy) {
            pair_->drop_every(kPort, drop_every);
            ASSERT_EQ(pair_->error(), "");
        }
        const auto pcap = dir_ / "server.pcap";
        ScopedCapture capture(pair_->b(), pair_->if_b(), pcap);
        KernelListener listener(pair_->b(), ipv6, kPort);
        ASSERT_EQ(listener.error(), "");
        auto o = options(ipv6);
        o.data_bytes = bytes;
        o.fin = true;
        o.timeout = std::chrono::seconds(lossy ? 60 : 10);
        o.linger = std::chrono::milliseconds(lossy ? 3000 : 300);
        const auto result = handshake(o);
        listener.join();
        capture.stop();
        std::string transcript;
        for (const auto& line : result.transcript) {
            transcript += line + "\n";
        }
        EXPECT_TRUE(result.completed) << result.reason << "\n" << transcript;
        EXPECT_EQ(result.bytes_acked, bytes);
        EXPECT_TRUE(result.peer_fin_received);
        EXPECT_EQ(listener.bytes(), bytes) << "the application received exactly what was sent";
        EXPECT_TRUE(listener.pattern_ok());
        EXPECT_TRUE(listener.eof());
        if (!lossy) {
            expect_clean(pcap, ipv6);
        }
        // tshark's verdict on the conversation: SYN, SYN-ACK, ACK, data, FIN = 1+2+4+8+16.
        const auto completeness = tshark_fields(pcap, {"tcp.completeness"}, "tcp", true);
        ASSERT_FALSE(completeness.empty());
        EXPECT_EQ(completeness.back(), "31") << "tcp.completeness";
        EXPECT_TRUE(tshark_fields(pcap, {"frame.number"}, "tcp.flags.reset == 1").empty())
            << "no RST";
        EXPECT_EQ(tshark_fields(pcap, {"frame.number"},
                                "tcp.flags.fin == 1 && tcp.srcport == " + std::to_string(kPort))
                          .size() >= 1,
                  true);
        if (lossy) {
            EXPECT_GT(result.retransmissions, 0u) << transcript;
            const auto retransmitted = tshark_fields(
                pcap, {"frame.number"},
                "tcp.analysis.retransmission && tcp.dstport == " + std::to_string(kPort));
            EXPECT_FALSE(retransmitted.empty())
                << "the generator's retransmissions are in the capture";
            EXPECT_NE(transcript.find("[TCP Retransmission]"), std::string::npos);
        }
    }

    std::unique_ptr<NetnsPair> pair_;
    std::optional<ScratchDir> scratch_;
    std::filesystem::path dir_;
};

TEST_F(GenNetns, HandshakeDataFinOverIpv4) { run_complete_exchange(false, 0, 3000); }

TEST_F(GenNetns, HandshakeDataFinOverIpv6) { run_complete_exchange(true, 0, 3000); }

// 20 segments with every 5th packet dropped each way (20% loss): completion must still come.
TEST_F(GenNetns, HandshakeDataFinSurvivesTwentyPercentLoss) {
    run_complete_exchange(false, 5, 28000);
}

TEST_F(GenNetns, ClosedPortIsReportedAsReset) {
    auto o = options(false);
    o.fin = true;
    const auto result = handshake(o);
    EXPECT_FALSE(result.completed);
    EXPECT_EQ(result.outcome, HandshakeOutcome::reset) << result.reason;
    ASSERT_FALSE(result.transcript.empty());
    EXPECT_NE(result.transcript[1].find("[RST, ACK]"), std::string::npos) << result.transcript[1];
}

TEST_F(GenNetns, NoHostIsReportedAsTimeout) {
    auto o = options(false);
    o.dst.address = *packet::IpAddress::parse(pair_->v4(99));  // in the subnet, nobody there
    o.timeout = std::chrono::milliseconds(3500);
    const auto started = std::chrono::steady_clock::now();
    const auto result = handshake(o);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(result.outcome, HandshakeOutcome::timeout) << result.reason;
    EXPECT_NE(result.reason.find("timed out"), std::string::npos) << result.reason;
    EXPECT_LT(took, std::chrono::seconds(6)) << "bounded by --timeout";
    // SYN at 0, retransmissions after 1 s and 3 s (1 s initial RTO, doubled).
    const auto retransmitted =
        std::count_if(result.transcript.begin(), result.transcript.end(), [](const auto& l) {
            return l.find("[TCP Retransmission]") != std::string::npos &&
                   l.find("[SYN]") != std::string::npos;
        });
    EXPECT_EQ(retransmitted, 2);
}

TEST_F(GenNetns, RstAbortInsteadOfFin) {
    const auto pcap = dir_ / "server.pcap";
    ScopedCapture capture(pair_->b(), pair_->if_b(), pcap);
    KernelListener listener(pair_->b(), false, kPort);
    auto o = options(false);
    o.data_bytes = 1000;
    o.rst = true;
    const auto result = handshake(o);
    listener.join();
    capture.stop();
    EXPECT_TRUE(result.completed) << result.reason;
    // Our RST passed our own RST-suppressing rule (it carries the generator's mark).
    const auto rsts = tshark_fields(pcap, {"tcp.srcport"}, "tcp.flags.reset == 1");
    ASSERT_EQ(rsts.size(), 1u);
    EXPECT_EQ(rsts[0], std::to_string(result.sport));
    EXPECT_EQ(listener.bytes(), 1000u);
}

// gen syn: the options on the wire are exactly the requested ones; the answer is reported.
TEST_F(GenNetns, SynProbeOptionsAppearAsRequested) {
    const auto pcap = dir_ / "server.pcap";
    ScopedCapture capture(pair_->b(), pair_->if_b(), pcap);
    KernelListener listener(pair_->b(), false, kPort,
                            2000);  // our kernel RSTs the SYN-ACK: no accept
    SynProbeOptions o;
    o.src = *packet::IpAddress::parse(pair_->v4(1));
    o.dst = *packet::Endpoint::parse(pair_->v4(2) + ":" + std::to_string(kPort));
    o.mss = 1200;
    o.wscale = 5;
    o.sack = true;
    o.timestamps = true;
    o.extra_options = {packet::TcpOption::make_raw(253, {0xca, 0xfe})};
    SynProbeResult result;
    tcplab::run_in_netns(pair_->a(), [&] { result = run_syn_probe(o); });
    // Single crafted segments into the same tuple: a FIN with data and SACK blocks, an IPv6 RST.
    SegmentOptions fin;
    fin.src = o.src;
    fin.sport = 40001;
    fin.dst = o.dst;
    fin.seq = 1000;
    fin.ack = 2000;
    fin.flags = packet::tcp_flag::kFin | packet::tcp_flag::kAck;
    fin.payload = {'x', 'y'};
    fin.options = {packet::TcpOption::make_nop(), packet::TcpOption::make_nop(),
                   packet::TcpOption::make_sack({{packet::SeqNum(10), packet::SeqNum(20)}})};
    tcplab::run_in_netns(pair_->a(), [&] { (void)send_segment(fin); });
    capture.stop();
    ASSERT_EQ(result.answers.size(), 1u);
    EXPECT_EQ(result.answers[0].reply, ProbeReply::syn_ack);
    expect_clean(pcap, false);
    const auto syn =
        tshark_fields(pcap,
                      {"tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.sack_perm",
                       "tcp.options.timestamp.tsval", "tcp.option_kind"},
                      "tcp.flags.syn == 1 && tcp.flags.ack == 0");
    ASSERT_EQ(syn.size(), 1u);
    EXPECT_EQ(syn[0].substr(0, syn[0].find('\t')), "1200");
    EXPECT_NE(syn[0].find("\t5\t"), std::string::npos) << syn[0];
    EXPECT_NE(syn[0].find("253"), std::string::npos) << syn[0];
    const auto sack =
        tshark_fields(pcap, {"tcp.options.sack_le", "tcp.len"}, "tcp.srcport == 40001", false,
                      /*relative=*/false);
    ASSERT_EQ(sack.size(), 1u);
    EXPECT_EQ(sack[0], "10\t2");  // the raw SACK left edge and 2 payload bytes
}

}  // namespace
}  // namespace tcplab::gen
