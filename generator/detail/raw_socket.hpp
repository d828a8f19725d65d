#pragma once
// Raw IP send and receive for crafted packets. Sending uses IPPROTO_RAW sockets (IPv4 and IPv6
// both imply header inclusion), so the kernel routes and resolves neighbours but never touches
// the header we built. Receiving uses one AF_PACKET (cooked, SOCK_DGRAM) socket, which sees every
// IPv4/IPv6 packet arriving on any interface of the current network namespace; callers filter to
// their 4-tuple. Both throw EnvironmentError "needs root or CAP_NET_RAW" without the capability.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::gen {

// Packets the generator sends carry this socket mark, so its own nftables rule (which drops the
// kernel's RSTs for the crafted port) lets a deliberately crafted RST through.
constexpr std::uint32_t kGeneratorMark = 0x7c0d;

class RawSender {
public:
    explicit RawSender(packet::IpAddress::Family family);
    // Sends one complete IP packet (header included) to dst. Returns false (see last_error) when
    // the network refused it: queue full, host or network unreachable. Throws SystemError on
    // anything else (a bug or a broken socket).
    bool send(std::span<const std::uint8_t> ip_packet, const packet::IpAddress& dst);
    int fd() const { return fd_.get(); }
    std::string last_error() const;

private:
    packet::IpAddress::Family family_;
    UniqueFd fd_;
    int last_errno_ = 0;
};

struct ReceivedPacket {
    std::vector<std::uint8_t> bytes;  // starts at the IP header
    std::chrono::steady_clock::time_point at;
};

class PacketReceiver {
public:
    PacketReceiver();
    // Waits up to `timeout` for the next incoming IPv4/IPv6 packet (outgoing copies are skipped).
    std::optional<ReceivedPacket> receive(std::chrono::milliseconds timeout);

private:
    UniqueFd fd_;
    std::vector<std::uint8_t> buffer_;
};

// Throws EnvironmentError with the standard message when errno says "not permitted".
[[noreturn]] void throw_socket_error(const char* what, int err);

}  // namespace tcplab::gen
