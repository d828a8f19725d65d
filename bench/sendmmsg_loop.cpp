// The floor for a packet generator on one core: one hand-built 54-byte TCP SYN frame, sent with
// AF_PACKET + sendmmsg in batches of 64 (qdisc bypassed) for a fixed time, nothing else — no
// rate control, no per-packet variation, no library. gen_flood_bench.sh compares
// `tcplab gen flood` against it. Deliberately independent of packet/ (its own checksum).
//
// usage: sendmmsg_loop IFNAME SRC_MAC DST_MAC SRC_IP DST_IP DST_PORT SECONDS
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

bool parse_mac(const char* text, std::uint8_t* out) {
    unsigned v[6];
    if (std::sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
        return false;
    }
    for (int i = 0; i < 6; ++i) {
        out[i] = static_cast<std::uint8_t>(v[i]);
    }
    return true;
}

std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

std::uint32_t sum16(const std::uint8_t* p, std::size_t n) {
    std::uint32_t s = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) {
        s += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: %s IFNAME SRC_MAC DST_MAC SRC_IP DST_IP DST_PORT SECONDS\n",
                     argv[0]);
        return 2;
    }
    std::uint8_t frame[54] = {};
    in_addr src{}, dst{};
    const int ifindex = static_cast<int>(if_nametoindex(argv[1]));
    const double seconds = std::atof(argv[7]);
    if (ifindex == 0 || !parse_mac(argv[2], frame + 6) || !parse_mac(argv[3], frame) ||
        inet_pton(AF_INET, argv[4], &src) != 1 || inet_pton(AF_INET, argv[5], &dst) != 1 ||
        !(seconds > 0 && seconds <= 60)) {
        std::fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 2;
    }
    frame[12] = 0x08;  // IPv4
    std::uint8_t* ip = frame + 14;
    ip[0] = 0x45;
    ip[3] = 40;    // total length
    ip[6] = 0x40;  // DF
    ip[8] = 64;
    ip[9] = 6;
    std::memcpy(ip + 12, &src, 4);
    std::memcpy(ip + 16, &dst, 4);
    const std::uint16_t ip_sum = fold(sum16(ip, 20));
    ip[10] = static_cast<std::uint8_t>(ip_sum >> 8);
    ip[11] = static_cast<std::uint8_t>(ip_sum);
    std::uint8_t* tcp = ip + 20;
    const int port = std::atoi(argv[6]);
    tcp[0] = 0x9c;
    tcp[1] = 0x40;  // 40000
    tcp[2] = static_cast<std::uint8_t>(port >> 8);
    tcp[3] = static_cast<std::uint8_t>(port);
    tcp[7] = 1;  // seq 1
    tcp[12] = 0x50;
    tcp[13] = 0x02;  // SYN
    tcp[14] = 0xfa;
    tcp[15] = 0xf0;  // window 64240
    std::uint32_t pseudo = sum16(ip + 12, 8) + 6 + 20;
    const std::uint16_t tcp_sum = fold(pseudo + sum16(tcp, 20));
    tcp[16] = static_cast<std::uint8_t>(tcp_sum >> 8);
    tcp[17] = static_cast<std::uint8_t>(tcp_sum);

    const int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        std::perror("socket(AF_PACKET)");
        return 3;
    }
    const int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_protocol = htons(ETH_P_IP);
    to.sll_halen = 6;
    std::memcpy(to.sll_addr, frame, 6);
    constexpr int kBatch = 64;
    iovec iov{frame, sizeof frame};
    std::vector<mmsghdr> msgs(kBatch);
    for (auto& m : msgs) {
        m.msg_hdr.msg_name = &to;
        m.msg_hdr.msg_namelen = sizeof to;
        m.msg_hdr.msg_iov = &iov;
        m.msg_hdr.msg_iovlen = 1;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(seconds));
    unsigned long long sent = 0;
    while (std::chrono::steady_clock::now() < end) {
        const int n = sendmmsg(fd, msgs.data(), kBatch, 0);
        if (n > 0) {
            sent += static_cast<unsigned long long>(n);
        }
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("sendmmsg_loop: %llu packets in %.3f s = %.0f pps\n", sent, took, sent / took);
    close(fd);
    return 0;
}
