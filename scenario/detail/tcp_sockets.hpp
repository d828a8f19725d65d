#pragma once
// The TCP sockets of the calling thread's network namespace, from /proc/thread-self/net/tcp and
// tcp6: whether a server listens yet, and whether every connection has settled (nothing left for
// TCP to re-send) before the captures stop.
#include <cstdint>
#include <optional>
#include <vector>

namespace tcplab::scenario {

struct TcpSocket {
    int state = 0;  // the kernel's TCP_* number: 1 ESTABLISHED ... 10 LISTEN, 11 CLOSING
    std::uint16_t local_port = 0;
    std::uint32_t unacked_bytes = 0;  // tx_queue: sent, not yet acknowledged
};

std::vector<TcpSocket> tcp_sockets_here();

// A TCP socket listens (on `port`, if given).
bool tcp_listener_present(std::optional<std::uint16_t> port);

// Something may still be (re-)sent: a handshake or a FIN not yet acknowledged (SYN_SENT,
// SYN_RECV, FIN_WAIT1, LAST_ACK, CLOSING), or unacknowledged data.
bool tcp_unsettled(const TcpSocket& socket);

}  // namespace tcplab::scenario
