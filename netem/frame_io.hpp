#pragma once
// FrameSocket: one AF_PACKET socket bound to one interface, with batched I/O (recvmmsg /
// sendmmsg: one system call moves up to kBatch frames). Created in the calling thread's network
// namespace (enter it first with ScopedNetns). It never sees its own sends
// (PACKET_IGNORE_OUTGOING) and asks for PACKET_AUXDATA, which says when a frame still carries a
// partial checksum (a sender with checksum offload: the forwarder must complete it).
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "packet/unique_fd.hpp"

namespace tcplab::netem {

using MacAddress = std::array<std::uint8_t, 6>;
std::string to_string(const MacAddress& mac);

struct RxFrame {
    std::uint8_t* data = nullptr;
    std::size_t length = 0;        // bytes in data (the frame, cut at the slot size if truncated)
    bool truncated = false;        // longer than a slot (a GSO/TSO super-frame): cannot be sent on
    std::uint8_t packet_type = 0;  // PACKET_HOST, PACKET_BROADCAST, ... (linux/if_packet.h)
    bool checksum_partial = false; // TP_STATUS_CSUMNOTREADY: the L4 checksum is not filled in
    std::uint16_t checksum_start = 0;   // from the aux data: where the L4 header starts (net offset)
};

class RxBatch {
public:
    static constexpr std::size_t kBatch = 64;
    static constexpr std::size_t kSlot = 9216;  // jumbo frames fit; bigger ones are truncated
    RxBatch();
    std::span<RxFrame> frames() { return {frames_.data(), count_}; }

private:
    friend class FrameSocket;
    std::vector<std::uint8_t> storage_;
    std::array<RxFrame, kBatch> frames_{};
    std::size_t count_ = 0;
};

class FrameSocket {
public:
    // Throws EnvironmentError (no CAP_NET_RAW, no such interface) or SystemError.
    explicit FrameSocket(const std::string& interface);

    int fd() const { return fd_.get(); }
    const std::string& interface() const { return interface_; }
    const MacAddress& mac() const { return mac_; }
    int ifindex() const { return ifindex_; }

    // Reads what is queued (up to kBatch frames) without blocking; returns the count.
    std::size_t receive(RxBatch& batch);
    // Sends frames in order. Returns how many were sent; `failed` gets the indexes of frames the
    // kernel refused (ENOBUFS when the peer's backlog is full, EMSGSIZE over the MTU).
    std::size_t send(std::span<const std::span<const std::uint8_t>> frames,
                     std::vector<std::size_t>& failed);

private:
    UniqueFd fd_;
    std::string interface_;
    MacAddress mac_{};
    int ifindex_ = 0;
};

}  // namespace tcplab::netem
