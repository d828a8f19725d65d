#pragma once
// A socket address from an IP literal and a port, for tests that open kernel sockets.
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace tcplab::test_support {

// IPv6 when the text has a ':'.
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

SocketAddress make_socket_address(const std::string& ip, std::uint16_t port);

}  // namespace tcplab::test_support
