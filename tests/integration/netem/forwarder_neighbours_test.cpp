// The forwarder finds the neighbours' MACs itself (no client_mac / server_mac given): TCP over
// IPv4 and over IPv6 between real kernels, through a router whose own forwarding is off and
// whose neighbours nobody pre-seeded. The server-side capture must show the forwarder's question
// (ARP request, or ICMPv6 Neighbour Solicitation for the server's address) and the transfer must
// arrive whole.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstring>

#include "forwarder_fixture.hpp"
#include "netem/forwarder.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::netem {
namespace {

using namespace testing;

// Counts, in an Ethernet pcap, ARP requests for `target` (IPv4) or Neighbour Solicitations
// whose target is `target` (IPv6).
int count_questions(const std::filesystem::path& file, const packet::IpAddress& target) {
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* pc = pcap_open_offline(file.c_str(), err);
    if (pc == nullptr) {
        ADD_FAILURE() << "cannot read " << file << ": " << err;
        return 0;
    }
    int count = 0;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(pc, &header, &data) == 1) {
        const std::size_t n = header->caplen;
        if (n < 14) {
            continue;
        }
        const unsigned type = (data[12] << 8) | data[13];
        if (target.is_v4() && type == 0x0806 && n >= 42 && data[21] == 1 &&
            std::memcmp(data + 38, target.bytes.data(), 4) == 0) {
            ++count;
        } else if (!target.is_v4() && type == 0x86dd && n >= 14 + 40 + 24 && data[20] == 58 &&
                   data[54] == 135 && std::memcmp(data + 62, target.bytes.data(), 16) == 0) {
            ++count;
        }
    }
    pcap_close(pc);
    return count;
}

class ForwarderNeighbours : public ::testing::TestWithParam<bool> {};

TEST_P(ForwarderNeighbours, TcpThroughTheForwarderWithoutGivenNeighbours) {
    if (!is_root()) {
        GTEST_SKIP() << "needs root: creates network namespaces and veths";
    }
    const bool ipv6 = GetParam();
    TestTopology topo(ipv6 ? 31 : 30, ipv6);
    const std::string server = ipv6 ? topo.server_ipv6() : topo.server_ip();
    const ScratchDir scratch(ipv6 ? "fwd-nd6" : "fwd-arp4");
    const auto& dir = scratch.path();
    ForwarderConfig c;
    c.router_netns = topo.router_ns();
    c.client_interface = "veth-rc";
    c.server_interface = "veth-rs";  // no client_mac / server_mac: the forwarder must ask
    ForwarderStats stats;
    BulkResult bulk;
    {
        ScopedCapture capture(topo.server_ns(), "veth-s", dir / "server.pcap");
        Forwarder fwd(c);
        fwd.start();
        bulk = tcp_bulk(topo.client_ns(), topo.server_ns(), server, 5020, 1 << 20, 20);
        stats = fwd.stop();
        capture.stop();
    }
    EXPECT_EQ(bulk.bytes, 1u << 20);
    EXPECT_GT(stats.client_to_server.forwarded, 700u);  // 1 MiB in 1448-byte segments
    EXPECT_GT(stats.server_to_client.forwarded, 0u);
    EXPECT_EQ(stats.client_to_server.queue_drops, 0u);
    EXPECT_EQ(stats.server_to_client.queue_drops, 0u);
    EXPECT_GE(count_questions(dir / "server.pcap", *packet::IpAddress::parse(server)), 1)
        << "no " << (ipv6 ? "Neighbour Solicitation" : "ARP request") << " for " << server
        << " in the server capture";
}

INSTANTIATE_TEST_SUITE_P(Family, ForwarderNeighbours, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Ipv6" : "Ipv4"; });

}  // namespace
}  // namespace tcplab::netem
