#pragma once
// Kernel-socket traffic run inside namespaces, for tests of the path between them: ICMP echo,
// one TCP exchange, a TCP bulk transfer, numbered UDP datagrams. The peers are the namespaces'
// own kernels, so what arrives is what the path let through.
#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <vector>

namespace tcplab::test_support {

using Clock = std::chrono::steady_clock;

struct EchoReply {
    int ttl = -1;  // IPv4 only: the reply's TTL as received (64 minus the hops)
    double rtt_ms = 0;
};

// One ICMP echo from inside namespace `ns` to `dst` (v4 or v6 literal); nullopt on timeout.
std::optional<EchoReply> ping_once(const std::string& ns, const std::string& dst, std::uint16_t seq,
                                   int timeout_ms = 2000);

// A TCP connection from `client_ns` to a listener in `server_ns` (kernel TCP on both ends);
// returns the bytes the server received ("" on failure).
std::string tcp_roundtrip(const std::string& client_ns, const std::string& server_ns,
                          const std::string& server_addr, std::uint16_t port,
                          const std::string& payload, int timeout_ms = 10000);

struct BulkResult {
    std::uint64_t bytes = 0;
    double seconds = 0;  // first byte to last byte at the receiver
};

// One TCP connection client -> server (IPv4 or IPv6) carrying `bytes`; returns what the server
// received.
BulkResult tcp_bulk(const std::string& client_ns, const std::string& server_ns,
                    const std::string& server_ip, std::uint16_t port, std::uint64_t bytes,
                    double timeout_s = 60);

// A UDP receiver (IPv4) in namespace `ns`: returns the sequence numbers it got, in arrival
// order. `ready` is set once it is bound. Stops `idle_s` after the last datagram or at
// `deadline_s`.
std::future<std::vector<std::uint32_t>> udp_receiver(const std::string& ns, const std::string& ip,
                                                     std::uint16_t port, std::promise<void>& ready,
                                                     double idle_s = 1.0, double deadline_s = 30);

// Sends `count` numbered datagrams of `size` bytes from namespace `ns`, paced by `gap`.
void udp_send(const std::string& ns, const std::string& dst, std::uint16_t port,
              std::uint32_t count, std::size_t size = 200,
              std::chrono::microseconds gap = std::chrono::microseconds(200));

// SO_RCVTIMEO and SO_SNDTIMEO.
void set_timeout(int fd, double seconds);

}  // namespace tcplab::test_support
