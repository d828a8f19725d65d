// pcap_read_loop FILE: the floor for any pcap tool — read every record with libpcap and do
// nothing else (no parsing), then print how many records and bytes there were and how long it
// took. analyze_bench.sh compares `tcplab analyze` against this loop.
//
// Exit codes follow the tcplab contract: 0 ok, 2 bad usage or unreadable/corrupt file.
#include <pcap/pcap.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

namespace {

struct PcapCloser {
    void operator()(pcap_t* handle) const { pcap_close(handle); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: pcap_read_loop FILE\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    const auto start = std::chrono::steady_clock::now();
    PcapHandle handle(pcap_open_offline(argv[1], errbuf));
    if (!handle) {
        std::fprintf(stderr, "pcap_read_loop: %s: %s\n", argv[1], errbuf);
        return 2;
    }
    std::uint64_t records = 0;
    std::uint64_t captured_bytes = 0;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int rc = 0;
    while ((rc = pcap_next_ex(handle.get(), &header, &data)) == 1) {
        ++records;
        captured_bytes += header->caplen;  // touch the header so the loop is not optimised away
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (rc == PCAP_ERROR) {
        // A truncated last record: report it, like tcplab does, after what was read.
        std::fprintf(stderr, "pcap_read_loop: %s: after record %llu: %s\n", argv[1],
                     static_cast<unsigned long long>(records), pcap_geterr(handle.get()));
        return 2;
    }
    std::printf("records %llu bytes %llu seconds %.6f records_per_second %.0f\n",
                static_cast<unsigned long long>(records),
                static_cast<unsigned long long>(captured_bytes), seconds,
                seconds > 0 ? static_cast<double>(records) / seconds : 0.0);
    return 0;
}
