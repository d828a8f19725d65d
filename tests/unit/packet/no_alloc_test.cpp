// dissect() is the analyzer's per-packet path: it must not touch the heap for ordinary frames
// (only unknown TCP options are copied). Proven by counting global operator new calls in this
// test binary; the unknown-option case shows the counter really sees dissect's allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "packet/builder.hpp"
#include "packet/dissect.hpp"

namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// Replaceable global allocation functions ([new.delete.single]); the array forms forward here.
void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tcplab::packet {
namespace {

std::vector<std::uint8_t> ethernet_frame(const char* src, const char* dst,
                                         std::vector<TcpOption> options) {
    IpParams ip;
    ip.src = *IpAddress::parse(src);
    ip.dst = *IpAddress::parse(dst);
    TcpHeader t;
    t.flags = tcp_flag::kAck;
    t.option_list = std::move(options);
    const auto packet = build_tcp_packet(ip, t, std::vector<std::uint8_t>(100, 1));
    EthernetHeader eth;
    eth.ether_type = ip.src.is_v4() ? kEtherTypeIpv4 : kEtherTypeIpv6;
    eth.vlan_tags = {7};
    std::vector<std::uint8_t> frame;
    write_ethernet(eth, frame);
    frame.insert(frame.end(), packet.begin(), packet.end());
    return frame;
}

std::size_t allocations_during_dissect(const std::vector<std::uint8_t>& frame) {
    const std::size_t before = g_allocations.load();
    for (int i = 0; i < 100; ++i) {
        auto d = dissect(LinkType::ethernet, frame);
        if (!d || !d->is_tcp) ADD_FAILURE() << "frame did not dissect as TCP";
    }
    return g_allocations.load() - before;
}

TEST(DissectAllocation, OrdinaryFramesDoNotAllocate) {
    const auto ts = std::vector<TcpOption>{TcpOption::make_nop(), TcpOption::make_nop(),
                                           TcpOption::make_timestamps(1, 2)};
    const auto sack = std::vector<TcpOption>{
        TcpOption::make_nop(), TcpOption::make_nop(),
        TcpOption::make_sack(
            {{SeqNum(1), SeqNum(2)}, {SeqNum(3), SeqNum(4)}, {SeqNum(5), SeqNum(6)}})};
    EXPECT_EQ(allocations_during_dissect(ethernet_frame("198.18.1.2", "198.19.1.2", ts)), 0u);
    EXPECT_EQ(allocations_during_dissect(ethernet_frame("fd7c::1", "fd7c::2", ts)), 0u);
    EXPECT_EQ(allocations_during_dissect(ethernet_frame("198.18.1.2", "198.19.1.2", sack)), 0u);
    EXPECT_EQ(
        allocations_during_dissect(ethernet_frame(
            "198.18.1.2", "198.19.1.2", linux_syn_options(1460, true, TcpTimestamps{1, 0}, 7))),
        0u);
}

TEST(DissectAllocation, UnknownOptionsAreTheOnlyAllocation) {
    const auto frame =
        ethernet_frame("198.18.1.2", "198.19.1.2", {TcpOption::make_raw(30, {1, 2, 3, 4, 5, 6})});
    EXPECT_GT(allocations_during_dissect(frame), 0u);
}

}  // namespace
}  // namespace tcplab::packet
