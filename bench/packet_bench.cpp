// dissect() throughput on the analyzer's typical frame: Ethernet / IPv4 / TCP with the
// timestamp option (NOP, NOP, TS) and a 1448-byte payload, as a bulk transfer looks on a wire.
// Target from the packet issue: ~10M+ frames/s per core. dissect_innermost() (the analyzer's
// entry, through tunnels) must cost the same on a frame without one.
#include <benchmark/benchmark.h>

#include "packet/builder.hpp"
#include "packet/dissect.hpp"

namespace {

using namespace tcplab::packet;

std::vector<std::uint8_t> typical_frame(bool v6) {
    IpParams ip;
    ip.src = *IpAddress::parse(v6 ? "fd7c:1:1::2" : "198.18.1.2");
    ip.dst = *IpAddress::parse(v6 ? "fd7c:1:2::2" : "198.19.1.2");
    TcpHeader t;
    t.src_port = 35258;
    t.dst_port = 443;
    t.seq = SeqNum(123456789);
    t.ack = SeqNum(987654321);
    t.flags = tcp_flag::kAck | tcp_flag::kPsh;
    t.window = 502;
    t.option_list = {TcpOption::make_nop(), TcpOption::make_nop(),
                     TcpOption::make_timestamps(1000, 2000)};
    const auto packet = build_tcp_packet(ip, t, std::vector<std::uint8_t>(1448, 0x42));
    EthernetHeader eth;
    eth.ether_type = v6 ? kEtherTypeIpv6 : kEtherTypeIpv4;
    std::vector<std::uint8_t> frame;
    write_ethernet(eth, frame);
    frame.insert(frame.end(), packet.begin(), packet.end());
    return frame;
}

// The same frame carried in VXLAN between two tunnel end points (the analyzer follows it).
std::vector<std::uint8_t> vxlan_frame() {
    const auto inner = typical_frame(false);
    std::vector<std::uint8_t> vxlan = {0x08, 0, 0, 0, 0, 0, 0x2A, 0};
    vxlan.insert(vxlan.end(), inner.begin(), inner.end());
    IpParams ip;
    ip.src = *IpAddress::parse("198.18.9.1");
    ip.dst = *IpAddress::parse("198.18.9.2");
    UdpHeader udp;
    udp.src_port = 50000;
    udp.dst_port = 4789;
    const auto packet = build_udp_packet(ip, udp, vxlan);
    std::vector<std::uint8_t> frame;
    write_ethernet(EthernetHeader{}, frame);
    frame.insert(frame.end(), packet.begin(), packet.end());
    return frame;
}

// dissect() is the forwarder's view (the outermost IP), dissect_innermost() the analyzer's.
template <auto kDissect>
void run(benchmark::State& state, const std::vector<std::uint8_t>& frame) {
    for (auto _ : state) {
        auto d = kDissect(LinkType::ethernet, frame);
        benchmark::DoNotOptimize(d);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_DissectEthernetIpv4TcpTs(benchmark::State& state) {
    run<dissect>(state, typical_frame(false));
}
BENCHMARK(BM_DissectEthernetIpv4TcpTs);

void BM_DissectEthernetIpv6TcpTs(benchmark::State& state) {
    run<dissect>(state, typical_frame(true));
}
BENCHMARK(BM_DissectEthernetIpv6TcpTs);

void BM_DissectInnermostEthernetIpv4TcpTs(benchmark::State& state) {
    run<dissect_innermost>(state, typical_frame(false));
}
BENCHMARK(BM_DissectInnermostEthernetIpv4TcpTs);

void BM_DissectInnermostVxlanIpv4TcpTs(benchmark::State& state) {
    run<dissect_innermost>(state, vxlan_frame());
}
BENCHMARK(BM_DissectInnermostVxlanIpv4TcpTs);

}  // namespace

BENCHMARK_MAIN();
