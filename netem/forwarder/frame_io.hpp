#pragma once
// FrameSocket: one AF_PACKET socket bound to one interface. Frames are received through a
// memory-mapped TPACKET_V2 ring (the kernel copies each frame into a ring slot in its softirq:
// no socket queue, no system call per batch, no second copy — the forwarder reads, edits and
// sends the frame where it lies) and sent with sendmmsg (one system call for up to kBatch
// frames). Created in the calling thread's network namespace (enter it first with ScopedNetns).
// It never sees its own sends (PACKET_IGNORE_OUTGOING); the ring slot's status says when a frame
// still carries a partial checksum (a sender with checksum offload: the forwarder completes it).
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "packet/mac_address.hpp"

namespace tcplab::netem {

using packet::MacAddress;

struct RxFrame {
    std::uint8_t* data = nullptr;   // inside the receive ring: valid until FrameSocket::release
    std::size_t length = 0;         // bytes in data (the frame, cut at the slot size if truncated)
    bool truncated = false;         // longer than a slot (a GSO/TSO super-frame): cannot be sent on
    std::uint8_t packet_type = 0;   // PACKET_HOST, PACKET_BROADCAST, ... (linux/if_packet.h)
    bool checksum_partial = false;  // TP_STATUS_CSUMNOTREADY: the L4 checksum is not filled in
};

// The frames of one receive() call. They stay in the ring (the kernel does not overwrite them)
// until FrameSocket::release hands their slots back.
class RxBatch {
public:
    static constexpr std::size_t kBatch = 64;
    std::span<RxFrame> frames() { return {frames_.data(), count_}; }

private:
    friend class FrameSocket;
    std::array<RxFrame, kBatch> frames_{};
    std::size_t first_slot_ = 0;
    std::size_t count_ = 0;
};

// The mmap'ed receive ring (unmapped on destruction).
class RxRing {
public:
    RxRing() = default;
    RxRing(void* base, std::size_t bytes, std::size_t frame_size, std::size_t frames)
        : base_(static_cast<std::uint8_t*>(base)),
          bytes_(bytes),
          frame_size_(frame_size),
          frames_(frames) {}
    ~RxRing();
    RxRing(RxRing&& other) noexcept;
    RxRing& operator=(RxRing&& other) noexcept;
    RxRing(const RxRing&) = delete;
    RxRing& operator=(const RxRing&) = delete;

    std::uint8_t* slot(std::size_t i) const { return base_ + (i % frames_) * frame_size_; }
    std::size_t frames() const { return frames_; }
    std::size_t frame_size() const { return frame_size_; }

private:
    std::uint8_t* base_ = nullptr;
    std::size_t bytes_ = 0;
    std::size_t frame_size_ = 0;
    std::size_t frames_ = 0;
};

class FrameSocket {
public:
    // Throws EnvironmentError (no CAP_NET_RAW, no such interface) or SystemError.
    explicit FrameSocket(const std::string& interface);

    int fd() const { return fd_.get(); }
    const std::string& interface() const { return interface_; }
    const MacAddress& mac() const { return mac_; }
    int ifindex() const { return ifindex_; }
    // The longest frame a ring slot holds; longer ones arrive truncated.
    std::size_t max_frame() const;

    // Takes what the ring holds (up to kBatch frames) without blocking; returns the count.
    // Releases the batch's previous frames first.
    std::size_t receive(RxBatch& batch);
    // Hands the batch's slots back to the kernel; its frames must not be used afterwards.
    void release(RxBatch& batch);
    // Sends frames in order. Returns how many were sent; `failed` gets the indexes of frames the
    // kernel refused (ENOBUFS when the peer's backlog is full, EMSGSIZE over the MTU).
    std::size_t send(std::span<const std::span<const std::uint8_t>> frames,
                     std::vector<std::size_t>& failed);
    // Frames the kernel could not put in the ring because it was full (since the last call):
    // lost before the forwarder saw them, so reported apart from every injected fault.
    std::uint64_t take_ring_drops();

private:
    UniqueFd fd_;
    std::string interface_;
    MacAddress mac_{};
    int ifindex_ = 0;
    RxRing ring_;
    std::size_t head_ = 0;  // the next ring slot to read
};

}  // namespace tcplab::netem
