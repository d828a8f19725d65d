// The forwarder finds the neighbours' MACs itself (no client_mac / server_mac given): TCP over
// IPv4 and over IPv6 between real kernels, through a router whose own forwarding is off and
// whose neighbours nobody pre-seeded. The server-side capture must show the forwarder's question
// (ARP request, or ICMPv6 Neighbour Solicitation for the server's address) and the transfer must
// arrive whole.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "netem/forwarder/forwarder.hpp"
#include "packet/ip_address.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/traffic.hpp"

namespace tcplab::netem {
namespace {

using namespace test_support;

// How the forwarder can have found the server's MAC, read from the server's capture: ARP requests
// for `target` (IPv4) or Neighbour Solicitations whose target is `target` (IPv6) — it asked — or
// a frame the server sent before the first forwarded frame reached it (MLD reports, DAD...) — it
// learned the MAC from that frame, as it does from any frame of that side (which of the two
// happens depends on when the server's kernel speaks).
struct Resolution {
    int questions = 0;
    bool server_spoke_first = false;
};

Resolution how_resolved(const std::filesystem::path& file, const packet::IpAddress& target) {
    Resolution out;
    char err[PCAP_ERRBUF_SIZE] = {};
    pcap_t* pc = pcap_open_offline(file.c_str(), err);
    if (pc == nullptr) {
        ADD_FAILURE() << "cannot read " << file << ": " << err;
        return out;
    }
    std::vector<std::vector<u_char>> frames;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(pc, &header, &data) == 1) {
        frames.emplace_back(data, data + header->caplen);
    }
    pcap_close(pc);
    // The server's MAC: the source of a frame from its address; the first forwarded frame: the
    // first one from the router's MAC to it.
    std::optional<std::vector<u_char>> server_mac;
    for (const auto& f : frames) {
        const unsigned type = f.size() >= 14 ? (f[12] << 8) | f[13] : 0;
        const bool from_target = (type == 0x0800 && f.size() >= 34 && target.is_v4() &&
                                  std::memcmp(f.data() + 26, target.bytes.data(), 4) == 0) ||
                                 (type == 0x86dd && f.size() >= 54 && !target.is_v4() &&
                                  std::memcmp(f.data() + 22, target.bytes.data(), 16) == 0);
        if (from_target) {
            server_mac.emplace(f.begin() + 6, f.begin() + 12);
            break;
        }
    }
    bool forwarded_yet = false;
    for (const auto& f : frames) {
        const std::size_t n = f.size();
        if (n < 14) {
            continue;
        }
        const bool from_server =
            server_mac && std::equal(server_mac->begin(), server_mac->end(), f.begin() + 6);
        if (!from_server) {
            forwarded_yet =
                forwarded_yet ||
                (server_mac && std::equal(server_mac->begin(), server_mac->end(), f.begin()));
        } else if (!forwarded_yet) {
            out.server_spoke_first = true;
        }
        const unsigned type = (f[12] << 8) | f[13];
        if (target.is_v4() && type == 0x0806 && n >= 42 && f[21] == 1 &&
            std::memcmp(f.data() + 38, target.bytes.data(), 4) == 0) {
            ++out.questions;
        } else if (!target.is_v4() && type == 0x86dd && n >= 14 + 40 + 24 && f[20] == 58 &&
                   f[54] == 135 && std::memcmp(f.data() + 62, target.bytes.data(), 16) == 0) {
            ++out.questions;
        }
    }
    return out;
}

class ForwarderNeighbours : public ::testing::TestWithParam<bool> {};

TEST_P(ForwarderNeighbours, TcpThroughTheForwarderWithoutGivenNeighbours) {
    TCPLAB_REQUIRE_ROOT();
    const bool ipv6 = GetParam();
    ForwarderLab topo(ipv6);
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
    const Resolution resolved =
        how_resolved(dir / "server.pcap", *packet::IpAddress::parse(server));
    EXPECT_TRUE(resolved.questions >= 1 || resolved.server_spoke_first)
        << "no " << (ipv6 ? "Neighbour Solicitation" : "ARP request") << " for " << server
        << " in the server capture, and the server sent nothing it could have been learned from";
    // Without a question, an answer cannot be what the server sent first: it spoke on its own.
    std::printf("[ resolved ] %s\n", resolved.questions >= 1
                                         ? "the forwarder asked"
                                         : "learned from a frame the server sent first");
}

INSTANTIATE_TEST_SUITE_P(Family, ForwarderNeighbours, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Ipv6" : "Ipv4"; });

}  // namespace
}  // namespace tcplab::netem
