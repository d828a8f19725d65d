#pragma once
// Helpers for the netem integration tests: root check, ICMP echo and TCP through the lab path
// (real kernel peers: the server namespace's own ICMP and TCP stacks answer), and object checks.
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "base/command.hpp"
#include "base/netns.hpp"
#include "base/unique_fd.hpp"

namespace tcplab::netem::testing {

inline bool is_root() { return ::geteuid() == 0; }

#define TCPLAB_REQUIRE_ROOT()                                                               \
    do {                                                                                    \
        if (!::tcplab::netem::testing::is_root()) {                                         \
            GTEST_SKIP() << "needs root (creates network namespaces); run as root to test"; \
        }                                                                                   \
    } while (0)

inline bool netns_exists(const std::string& name) {
    return std::filesystem::exists(std::filesystem::path("/run/netns") / name);
}

inline std::string command_output(const tcplab::Argv& argv) {
    return tcplab::system_runner().run(argv).out;
}

// Number of frames in `file` matching the display filter, as tshark counts them.
inline int tshark_count(const std::filesystem::path& file, const std::string& filter) {
    const auto out = command_output(
        {"tshark", "-n", "-r", file.string(), "-Y", filter, "-T", "fields", "-e", "frame.number"});
    int lines = 0;
    for (char c : out) lines += c == '\n';
    return lines;
}

inline std::uint16_t icmp_checksum(const std::uint8_t* data, std::size_t len) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < len; i += 2) sum += (data[i] << 8) | data[i + 1];
    if (len % 2 != 0) sum += data[len - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

struct EchoReply {
    int ttl = -1;  // IPv4 only: the reply's TTL as received (64 minus the hops)
    double rtt_ms = 0;
};

// One ICMP echo from inside namespace `ns` to `dst` (v4 or v6 literal); nullopt on timeout.
inline std::optional<EchoReply> ping_once(const std::string& ns, const std::string& dst,
                                          std::uint16_t seq, int timeout_ms = 2000) {
    std::optional<EchoReply> result;
    tcplab::run_in_netns(ns, [&] {
        const bool v6 = dst.find(':') != std::string::npos;
        UniqueFd fd(
            ::socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC,
                     v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP)));
        if (!fd) throw SystemError(std::string("raw socket: ") + std::strerror(errno));
        sockaddr_storage to{};
        socklen_t to_len = 0;
        if (v6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&to);
            a->sin6_family = AF_INET6;
            ::inet_pton(AF_INET6, dst.c_str(), &a->sin6_addr);
            to_len = sizeof(sockaddr_in6);
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&to);
            a->sin_family = AF_INET;
            ::inet_pton(AF_INET, dst.c_str(), &a->sin_addr);
            to_len = sizeof(sockaddr_in);
        }
        const std::uint16_t ident = static_cast<std::uint16_t>(::getpid() ^ 0x7c7c);
        std::array<std::uint8_t, 64> req{};
        req[0] = v6 ? 128 : 8;  // echo request
        req[4] = ident >> 8;
        req[5] = ident & 0xff;
        req[6] = seq >> 8;
        req[7] = seq & 0xff;
        std::memcpy(req.data() + 8, "tcplab-ping", 11);
        if (!v6) {  // the kernel fills in the ICMPv6 checksum itself
            const auto sum = icmp_checksum(req.data(), req.size());
            req[2] = sum >> 8;
            req[3] = sum & 0xff;
        }
        const auto start = std::chrono::steady_clock::now();
        if (::sendto(fd.get(), req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     to_len) < 0) {
            if (errno == ENETUNREACH || errno == EHOSTUNREACH) return;  // no route: no reply
            throw SystemError(std::string("sendto ") + dst + ": " + std::strerror(errno));
        }
        const auto deadline = start + std::chrono::milliseconds(timeout_ms);
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{fd.get(), POLLIN, 0};
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (::poll(&pfd, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) continue;
            std::array<std::uint8_t, 2048> buf{};
            const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
            if (n <= 0) continue;
            std::size_t off = 0;
            int ttl = -1;
            if (!v6) {  // IPv4 raw sockets deliver the IP header too
                off = static_cast<std::size_t>(buf[0] & 0x0f) * 4;
                ttl = buf[8];
            }
            if (static_cast<std::size_t>(n) < off + 8) continue;
            const std::uint8_t* icmp = buf.data() + off;
            const bool reply = icmp[0] == (v6 ? 129 : 0);
            const std::uint16_t rid = static_cast<std::uint16_t>((icmp[4] << 8) | icmp[5]);
            const std::uint16_t rseq = static_cast<std::uint16_t>((icmp[6] << 8) | icmp[7]);
            if (reply && rid == ident && rseq == seq) {
                EchoReply r;
                r.ttl = ttl;
                r.rtt_ms = std::chrono::duration<double, std::milli>(
                               std::chrono::steady_clock::now() - start)
                               .count();
                result = r;
                return;
            }
        }
    });
    return result;
}

// A TCP connection from `client_ns` to a listener in `server_ns` (kernel TCP on both ends);
// returns the bytes the server received ("" on failure).
std::string tcp_roundtrip(const std::string& client_ns, const std::string& server_ns,
                          const std::string& server_addr, std::uint16_t port,
                          const std::string& payload, int timeout_ms = 10000);

}  // namespace tcplab::netem::testing
