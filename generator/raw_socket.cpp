#include "generator/detail/raw_socket.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/errors.hpp"

namespace tcplab::gen {

void throw_socket_error(const char* what, int err) {
    if (err == EPERM || err == EACCES) {
        throw EnvironmentError(std::string(what) + ": needs root or CAP_NET_RAW");
    }
    throw SystemError(std::string(what) + ": " + std::strerror(err));
}

RawSender::RawSender(packet::IpAddress::Family family) : family_(family) {
    const int domain = family == packet::IpAddress::Family::v4 ? AF_INET : AF_INET6;
    fd_.reset(::socket(domain, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
    if (!fd_.valid()) {
        throw_socket_error("raw socket", errno);
    }
    const std::uint32_t mark = kGeneratorMark;
    // Needs CAP_NET_ADMIN; without it our crafted RSTs are simply subject to our own rule.
    (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_MARK, &mark, sizeof mark);
}

bool RawSender::send(std::span<const std::uint8_t> ip_packet, const packet::IpAddress& dst) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (family_ == packet::IpAddress::Family::v4) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
        sin->sin_family = AF_INET;
        std::memcpy(&sin->sin_addr, dst.bytes.data(), 4);
        length = sizeof(sockaddr_in);
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
        sin6->sin6_family = AF_INET6;
        std::memcpy(&sin6->sin6_addr, dst.bytes.data(), 16);
        length = sizeof(sockaddr_in6);
    }
    const ssize_t n = ::sendto(fd_.get(), ip_packet.data(), ip_packet.size(), 0,
                               reinterpret_cast<const sockaddr*>(&storage), length);
    if (n < 0) {
        last_errno_ = errno;
        switch (errno) {
            case ENOBUFS:
            case EAGAIN:
            case EINTR:
            case EHOSTUNREACH:
            case ENETUNREACH:
            case EHOSTDOWN:
            case ENETDOWN:
            case EINVAL:  // EINVAL: neighbour resolution failed
                return false;
            default:
                break;
        }
        throw SystemError("sendto " + dst.to_string() + ": " + std::strerror(errno));
    }
    return true;
}

std::string RawSender::last_error() const { return std::strerror(last_errno_); }

PacketReceiver::PacketReceiver() : buffer_(65536) {
    fd_.reset(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    if (!fd_.valid()) {
        throw_socket_error("packet socket", errno);
    }
    const int size = 4 << 20;
    (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

std::optional<ReceivedPacket> PacketReceiver::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd pfd{fd_.get(), POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(std::max<long>(0, left.count())));
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw SystemError(std::string("poll: ") + std::strerror(errno));
        }
        if (ready == 0) {
            return std::nullopt;
        }
        sockaddr_ll from{};
        socklen_t from_length = sizeof from;
        const ssize_t n = ::recvfrom(fd_.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&from), &from_length);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            throw SystemError(std::string("recvfrom (packet socket): ") + std::strerror(errno));
        }
        const auto protocol = ntohs(from.sll_protocol);
        if (from.sll_pkttype == PACKET_OUTGOING ||
            (protocol != ETH_P_IP && protocol != ETH_P_IPV6)) {
            continue;
        }
        ReceivedPacket packet;
        packet.bytes.assign(buffer_.begin(), buffer_.begin() + n);
        packet.at = std::chrono::steady_clock::now();
        return packet;
    }
}

}  // namespace tcplab::gen
