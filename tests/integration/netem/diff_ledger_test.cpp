// Ground truth twice: the forwarder's ledger and the dual-vantage diff of captures taken at the
// client and at the server must name the same dropped packets, and the same duplicates and
// corruptions; deterministic schedules must hit exactly the packets they name.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>
#include <tuple>

#include "analyzer/path_diff.hpp"
#include "netem/forwarder/forwarder.hpp"
#include "netem/impair/ledger.hpp"
#include "packet/tcp.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/traffic.hpp"

namespace tcplab::netem {
namespace {

using namespace test_support;

// What both sources can name: the packet's identity fields.
using Key = std::tuple<packet::Endpoint, packet::Endpoint, std::uint32_t, std::uint32_t,
                       std::uint16_t, std::uint32_t, int>;
Key key_of(const packet::PacketRecord& p) {
    return {p.src, p.dst, p.seq, p.ack, p.tcp_flags, p.len, p.ip_id ? int{*p.ip_id} : -1};
}

std::multiset<Key> ledger_keys(const std::vector<LedgerEntry>& ledger, Direction dir,
                               const std::vector<std::string>& actions) {
    std::multiset<Key> out;
    for (const auto& e : ledger) {
        if (e.dir == dir && std::find(actions.begin(), actions.end(), e.action) != actions.end()) {
            out.insert(key_of(e.packet));
        }
    }
    return out;
}

std::multiset<Key> diff_keys(const std::vector<analyzer::DiffPacket>& packets) {
    std::multiset<Key> out;
    for (const auto& p : packets) {
        out.insert(key_of(p.packet));
    }
    return out;
}

struct BulkRun {
    analyzer::PathDiff diff;
    std::vector<LedgerEntry> ledger;
    ForwarderStats stats;
};

BulkRun run_bulk(const Impairment& imp, std::uint64_t bytes, const std::string& name) {
    ForwarderLab topo;
    BulkRun r;
    const ScratchDir scratch(name);
    const auto& dir = scratch.path();
    ForwarderConfig c;
    c.router_netns = topo.router_ns();
    c.client_interface = "veth-rc";
    c.server_interface = "veth-rs";
    c.impairment = imp;
    c.ledger_path = dir / "ledger.jsonl";
    {
        ScopedCapture at_client(topo.client_ns(), "veth-c", dir / "client.pcap");
        ScopedCapture at_server(topo.server_ns(), "veth-s", dir / "server.pcap");
        Forwarder fwd(c);
        fwd.start();
        const BulkResult b =
            tcp_bulk(topo.client_ns(), topo.server_ns(), topo.server_ip(), 5003, bytes);
        EXPECT_EQ(b.bytes, bytes);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // last ACKs and FINs
        r.stats = fwd.stop();
        at_client.stop();
        at_server.stop();
        EXPECT_EQ(at_client.dropped(), 0u) << "capture at the client lost frames";
        EXPECT_EQ(at_server.dropped(), 0u) << "capture at the server lost frames";
    }
    r.diff = analyzer::diff_captures(dir / "client.pcap", dir / "server.pcap");
    r.ledger = read_ledger(dir / "ledger.jsonl");
    return r;
}

TEST(PathDiffIntegration, LedgerDropsEqualDiffDropsUnderLossDuplicateCorrupt) {
    TCPLAB_REQUIRE_ROOT();
    Impairment imp;
    imp.seed = 4242;
    imp.client_to_server.loss_percent = 5;
    imp.client_to_server.duplicate_percent = 3;
    imp.client_to_server.corrupt_percent = 3;
    imp.server_to_client.loss_percent = 5;
    const BulkRun r = run_bulk(imp, 2 << 20, "diff-ledger");
    for (Direction dir : {Direction::client_to_server, Direction::server_to_client}) {
        const analyzer::DirectionDiff& d = r.diff.get(dir);
        const auto ledger_drops = ledger_keys(r.ledger, dir, {"drop", "queue_drop"});
        EXPECT_FALSE(ledger_drops.empty());
        EXPECT_EQ(ledger_drops, diff_keys(d.drops)) << to_string(dir);
        EXPECT_EQ(ledger_keys(r.ledger, dir, {"duplicate"}), diff_keys(d.duplicates))
            << to_string(dir);
        EXPECT_EQ(ledger_keys(r.ledger, dir, {"corrupt"}), diff_keys(d.corruptions))
            << to_string(dir);
        EXPECT_EQ(d.unexpected, 0u) << to_string(dir);
        EXPECT_EQ(d.dropped, r.stats.get(dir).dropped + r.stats.get(dir).queue_drops);
    }
    EXPECT_GT(r.diff.client_to_server.duplicated, 0u);
    EXPECT_GT(r.diff.client_to_server.corrupted, 0u);
    EXPECT_EQ(r.diff.client_addresses,
              std::vector<std::string>{r.ledger.front().dir == Direction::client_to_server
                                           ? r.ledger.front().packet.src.address.to_string()
                                           : r.ledger.front().packet.dst.address.to_string()});
    // Rendering names the counts the test just checked.
    const std::string text = analyzer::render_diff_text(r.diff);
    EXPECT_NE(text.find("dropped " + std::to_string(r.diff.client_to_server.dropped)),
              std::string::npos);
    const auto json = analyzer::render_diff_json(r.diff);
    EXPECT_EQ(json["c2s"]["dropped"], r.diff.client_to_server.dropped);
}

TEST(PathDiffIntegration, SchedulesHitExactlyTheNamedPackets) {
    TCPLAB_REQUIRE_ROOT();
    namespace f = packet::tcp_flag;
    Impairment imp;
    imp.client_to_server.schedule.drop_first_syns = 1;
    imp.client_to_server.schedule.drop_data_segments = {3};
    imp.client_to_server.schedule.drop_first_fins = 1;
    imp.server_to_client.schedule.drop_first_synacks = 1;
    imp.server_to_client.schedule.drop_first_pure_acks = 1;
    const BulkRun r = run_bulk(imp, 64 << 10, "diff-schedule");
    std::map<std::string, std::vector<LedgerEntry>> by_reason;
    for (const auto& e : r.ledger) {
        EXPECT_EQ(e.action, "drop");
        by_reason[e.reason].push_back(e);
    }
    ASSERT_EQ(r.ledger.size(), 5u);
    ASSERT_EQ(by_reason["schedule drop-syn #1"].size(), 1u);
    ASSERT_EQ(by_reason["schedule drop-synack #1"].size(), 1u);
    ASSERT_EQ(by_reason["schedule drop-pure-ack #1"].size(), 1u);
    ASSERT_EQ(by_reason["schedule drop-data-segment #3"].size(), 1u);
    ASSERT_EQ(by_reason["schedule drop-fin #1"].size(), 1u);
    EXPECT_EQ(by_reason["schedule drop-syn #1"][0].packet.tcp_flags, f::kSyn);
    EXPECT_EQ(by_reason["schedule drop-synack #1"][0].packet.tcp_flags, f::kSyn | f::kAck);
    EXPECT_EQ(by_reason["schedule drop-pure-ack #1"][0].packet.tcp_flags, f::kAck);
    EXPECT_EQ(by_reason["schedule drop-pure-ack #1"][0].packet.len, 0u);
    EXPECT_TRUE(by_reason["schedule drop-fin #1"][0].packet.tcp_flags & f::kFin);
    // The dropped data segment is the third one carrying new data in the client's capture:
    // its sequence number is the ISN + 1 + the two segments before it.
    const auto& syn = by_reason["schedule drop-syn #1"][0].packet;
    const auto& seg = by_reason["schedule drop-data-segment #3"][0].packet;
    EXPECT_GT(seg.len, 0u);
    EXPECT_EQ(seg.seq - (syn.seq + 1), 2 * seg.len)
        << "equal-sized segments: the 3rd starts at 2*MSS";
    // Each of them was dropped exactly once: its retransmission passed (the transfer completed),
    // and the capture diff names the same five packets.
    EXPECT_EQ(ledger_keys(r.ledger, Direction::client_to_server, {"drop"}),
              diff_keys(r.diff.client_to_server.drops));
    EXPECT_EQ(ledger_keys(r.ledger, Direction::server_to_client, {"drop"}),
              diff_keys(r.diff.server_to_client.drops));
}

}  // namespace
}  // namespace tcplab::netem
