// lossy_stream_pcap FILE BLOCKS [PAYLOAD [CONNECTIONS [reuse|distinct]]]: writes lossy TCP as a
// raw-IP pcap (nanosecond timestamps), streamed to disk so it can be many GB. By default one long
// stream (analyze_rss.sh measures the peak RSS of `tcplab analyze` on it: a stream whose event
// list would grow without bound). With CONNECTIONS the BLOCKS are shared out among that many
// connections one after the other, each with its handshake, FIN exchange and new ISNs: on one
// address/port pair (`reuse`, tshark's "port numbers reused": the lossy shape of
// analyze_bench.sh) or each from its own client port (`distinct`: many short streams).
//
// After a handshake, every block of 4 segments of PAYLOAD bytes (default 100) loses its second
// segment at the receiver: the receiver repeats its ACK for the two segments after the hole
// (2 duplicate ACKs) and the sender fast-retransmits the hole. So each block of 9 frames carries
// 3 analysis events (dup ACK #1, dup ACK #2, fast retransmission); tshark agrees (the unit test
// RuleTest.LongLossyStreamListsTheFirstEventsAndCountsAll checks the same pattern against it).
//
// Exit codes follow the tcplab contract: 0 ok, 2 bad usage or the file cannot be written.
#include <pcap/pcap.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include "packet/builder.hpp"

namespace {

namespace tf = tcplab::packet::tcp_flag;

struct DeadCloser {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
struct DumperCloser {
    void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};

class Writer {
public:
    Writer(pcap_dumper_t* dumper, std::uint32_t payload) : dumper_(dumper), payload_(payload, 'x') {
        ip_[0].src = ip_[1].dst = *tcplab::packet::IpAddress::parse("198.18.201.2");
        ip_[0].dst = ip_[1].src = *tcplab::packet::IpAddress::parse("198.19.201.2");
    }
    // The next connection: new ISNs, and with `distinct` ports a new client port.
    void next_connection(std::uint64_t k, bool distinct) {
        isn_[0] = static_cast<std::uint32_t>(1000 + k * 7919);
        isn_[1] = static_cast<std::uint32_t>(500000 + k * 104729);
        if (distinct) port_[0] = static_cast<std::uint16_t>(1024 + k % 64000);
    }
    // side 0 = client (sender of the data), 1 = server; relative seq/ack.
    void seg(int side, std::uint16_t flags, std::uint32_t seq, std::uint32_t ack,
             std::uint32_t len) {
        tcplab::packet::TcpHeader t;
        t.src_port = port_[side];
        t.dst_port = port_[1 - side];
        t.seq = tcplab::packet::SeqNum(isn_[side] + seq);
        t.ack = tcplab::packet::SeqNum((flags & tf::kAck) != 0 ? isn_[1 - side] + ack : 0);
        t.flags = flags;
        t.window = 65535;  // never full: no window_full events
        const auto bytes = tcplab::packet::build_tcp_packet(
            ip_[side], t, std::span<const std::uint8_t>(payload_.data(), len));
        time_ns_ += 100'000;  // 0.1 ms between frames: dup ACKs and fast retransmission fit 20 ms
        pcap_pkthdr h{};
        h.ts.tv_sec = time_ns_ / 1'000'000'000LL;
        h.ts.tv_usec = time_ns_ % 1'000'000'000LL;  // nanoseconds in a nano dumper
        h.caplen = h.len = static_cast<bpf_u_int32>(bytes.size());
        pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, bytes.data());
    }

private:
    pcap_dumper_t* dumper_;
    std::vector<std::uint8_t> payload_;
    tcplab::packet::IpParams ip_[2];
    std::uint16_t port_[2] = {40001, 5001};
    std::uint32_t isn_[2] = {1000, 500000};
    std::int64_t time_ns_ = 1'700'000'000LL * 1'000'000'000LL;
};

bool parse(std::string_view text, std::uint64_t& out) {
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// One connection: handshake, `blocks` lossy blocks, FIN both ways and the last ACK.
void write_connection(Writer& w, std::uint32_t len, std::uint64_t blocks) {
    w.seg(0, tf::kSyn, 0, 0, 0);
    w.seg(1, tf::kSyn | tf::kAck, 0, 1, 0);
    w.seg(0, tf::kAck, 1, 1, 0);
    std::uint32_t seq = 1;  // wraps after 4 GB of payload, as a real stream's would
    for (std::uint64_t b = 0; b < blocks; ++b) {
        const std::uint32_t s0 = seq, s1 = s0 + len, s2 = s1 + len, s3 = s2 + len, end = s3 + len;
        w.seg(0, tf::kAck, s0, 1, len);
        w.seg(1, tf::kAck, 1, s1, 0);
        w.seg(0, tf::kAck, s1, 1, len);  // lost on the way to the receiver
        w.seg(0, tf::kAck, s2, 1, len);
        w.seg(1, tf::kAck, 1, s1, 0);  // duplicate ACK #1
        w.seg(0, tf::kAck, s3, 1, len);
        w.seg(1, tf::kAck, 1, s1, 0);    // duplicate ACK #2
        w.seg(0, tf::kAck, s1, 1, len);  // fast retransmission
        w.seg(1, tf::kAck, 1, end, 0);
        seq = end;
    }
    w.seg(0, tf::kFin | tf::kAck, seq, 1, 0);
    w.seg(1, tf::kFin | tf::kAck, 1, seq + 1, 0);
    w.seg(0, tf::kAck, seq + 1, 2, 0);
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t blocks = 0;
    std::uint64_t payload = 100;
    std::uint64_t connections = 1;
    const std::string_view ports = argc == 6 ? argv[5] : "reuse";
    if (argc < 3 || argc > 6 || !parse(argv[2], blocks) ||
        (argc >= 4 && (!parse(argv[3], payload) || payload == 0 || payload > 1400)) ||
        (argc >= 5 && (!parse(argv[4], connections) || connections == 0)) ||
        (ports != "reuse" && ports != "distinct")) {
        std::fprintf(stderr,
                     "usage: lossy_stream_pcap FILE BLOCKS [PAYLOAD 1..1400 [CONNECTIONS "
                     "[reuse|distinct]]]\n");
        return 2;
    }
    std::unique_ptr<pcap_t, DeadCloser> dead(
        pcap_open_dead_with_tstamp_precision(DLT_RAW, 65535, PCAP_TSTAMP_PRECISION_NANO));
    std::unique_ptr<pcap_dumper_t, DumperCloser> dumper(pcap_dump_open(dead.get(), argv[1]));
    if (!dumper) {
        std::fprintf(stderr, "lossy_stream_pcap: cannot write '%s': %s\n", argv[1],
                     pcap_geterr(dead.get()));
        return 2;
    }
    const auto len = static_cast<std::uint32_t>(payload);
    Writer w(dumper.get(), len);
    for (std::uint64_t k = 0; k < connections; ++k) {
        w.next_connection(k, ports == "distinct");
        // Connection k carries blocks [k * blocks / connections, (k + 1) * blocks / connections).
        write_connection(w, len, (k + 1) * blocks / connections - k * blocks / connections);
    }
    return 0;
}
