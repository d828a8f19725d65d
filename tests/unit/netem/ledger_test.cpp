// The ledger's JSON-lines format: round trip, every protocol the forwarder writes, and error
// messages that name the file and line.
#include "netem/impair/ledger.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/errors.hpp"

namespace tcplab::netem {
namespace {

std::filesystem::path scratch_ledger(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("tcplab-" + name + "-" + std::to_string(::getpid()) + ".jsonl");
}

TEST(Ledger, RoundTripAndLineNumbersInErrors) {
    const auto path = scratch_ledger("ledger");
    LedgerEntry e;
    e.t = 1.5;
    e.dir = Direction::server_to_client;
    e.packet.src = *packet::Endpoint::parse("198.19.9.2:80");
    e.packet.dst = *packet::Endpoint::parse("198.18.9.2:40000");
    e.packet.protocol = packet::kIpProtoTcp;
    e.packet.tcp_flags = 0x012;
    e.packet.seq = 4000000000u;
    e.packet.ack = 17;
    e.packet.ip_id = 0;
    e.action = "drop";
    e.reason = "schedule drop-synack #1";
    {
        LedgerWriter w(path);
        w.write(e);
        e.action = "delay";
        e.delay_ms = 50.25;
        e.transmission = 2;
        w.write(e);
        w.flush();
        EXPECT_EQ(w.lines(), 2u);
    }
    const auto back = read_ledger(path);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].dir, Direction::server_to_client);
    EXPECT_EQ(back[0].packet.seq, 4000000000u);
    EXPECT_EQ(back[0].packet.tcp_flags, 0x012);
    EXPECT_EQ(back[0].reason, "schedule drop-synack #1");
    EXPECT_EQ(to_json(back[0])["flags"], "SYN, ACK");
    EXPECT_EQ(back[0].packet.ip_id, std::optional<std::uint16_t>(0));
    EXPECT_EQ(back[1].delay_ms, std::optional<double>(50.25));
    EXPECT_EQ(back[0].transmission, std::nullopt);
    EXPECT_EQ(back[1].transmission, std::optional<std::uint32_t>(2));
    {
        std::ofstream out(path, std::ios::app);
        out << "{\"t\": 1}\n";
    }
    try {
        (void)read_ledger(path);
        FAIL() << "no error";
    } catch (const UsageError& ex) {
        EXPECT_NE(std::string(ex.what()).find(":3:"), std::string::npos) << ex.what();
        EXPECT_NE(std::string(ex.what()).find("\"dir\""), std::string::npos) << ex.what();
    }
    std::filesystem::remove(path);
}

// The forwarder forwards (and may drop) any IP packet, so its ledger has UDP and ICMP lines too:
// one reader takes them all (ports 0 and no flags where the protocol has none).
TEST(Ledger, ReadsNonTcpLines) {
    const auto path = scratch_ledger("ledger-udp");
    {
        std::ofstream out(path);
        out << R"({"t":0.1,"dir":"c2s","src":"198.18.1.2","dst":"198.19.1.2","sport":5353,)"
            << R"("dport":53,"proto":"udp","flags":"","tcp_flags":0,"seq":0,"ack":0,"len":12,)"
            << R"("ip_id":7,"action":"drop","reason":"random loss 10%"})"
            << "\n";
        out << R"({"t":0.2,"dir":"s2c","src":"fd7c::2","dst":"fd7c:1::2","sport":0,"dport":0,)"
            << R"("proto":"icmpv6","flags":"","tcp_flags":0,"seq":0,"ack":0,"len":64,)"
            << R"("action":"delay","reason":"delay 10 ms","delay_ms":10})"
            << "\n";
        out << R"({"t":0.3,"dir":"c2s","src":"198.18.1.2","dst":"198.19.1.2","sport":0,"dport":0,)"
            << R"("proto":"132","flags":"","tcp_flags":0,"seq":0,"ack":0,"len":20,)"
            << R"("action":"corrupt","reason":"corrupt 1%"})"
            << "\n";
    }
    const auto back = read_ledger(path);
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0].packet.protocol, packet::kIpProtoUdp);
    EXPECT_EQ(back[0].packet.src.port, 5353);
    EXPECT_EQ(back[0].packet.dst.port, 53);
    EXPECT_FALSE(back[0].packet.is_tcp());
    EXPECT_TRUE(back[0].loses_packet());
    EXPECT_EQ(back[1].packet.protocol, 58);
    EXPECT_EQ(back[1].packet.src.address.to_string(), "fd7c::2");
    EXPECT_EQ(back[1].dir, Direction::server_to_client);
    EXPECT_EQ(back[2].packet.protocol, 132);
    for (const auto& e : back) {
        EXPECT_EQ(to_json(e)["proto"], to_json(ledger_entry_from_json(to_json(e)))["proto"]);
        EXPECT_EQ(to_json(e)["flags"], "");
    }
    EXPECT_EQ(to_json(back[0])["proto"], "udp");
    EXPECT_EQ(to_json(back[1])["proto"], "icmpv6");
    EXPECT_EQ(to_json(back[2])["proto"], "132");
    std::filesystem::remove(path);
}

TEST(Ledger, UnknownProtocolNameIsAnError) {
    const auto path = scratch_ledger("ledger-bad-proto");
    {
        std::ofstream out(path);
        out << R"({"t":0.1,"dir":"c2s","src":"198.18.1.2","dst":"198.19.1.2","sport":1,)"
            << R"("dport":2,"proto":"sctp?","seq":0,"ack":0,"len":0,"action":"drop","reason":""})"
            << "\n";
    }
    try {
        (void)read_ledger(path);
        FAIL() << "no error";
    } catch (const UsageError& ex) {
        EXPECT_NE(std::string(ex.what()).find(":1:"), std::string::npos) << ex.what();
        EXPECT_NE(std::string(ex.what()).find("sctp?"), std::string::npos) << ex.what();
    }
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace tcplab::netem
