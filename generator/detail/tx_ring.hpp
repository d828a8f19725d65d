#pragma once
// TxRing: an AF_PACKET socket with a PACKET_TX_RING (TPACKET_V2) mapped into this process. The
// sender writes frames straight into the ring's slots, marks them SEND_REQUEST, and one
// sendto() per batch hands all marked slots to the driver (qdisc bypassed) — no copy from user
// memory per packet and one system call per batch. A slot returns to AVAILABLE when the kernel
// is done with its frame, so the same slot can be rewritten; that is how the flood keeps frames
// prebuilt in place and only rewrites the fields that vary.
//
// Each slot starts with a virtio_net_hdr (PACKET_VNET_HDR) whose hdr_len covers the whole
// frame: the kernel then copies the (small) frame into the skb's linear area instead of
// attaching the ring page as a fragment — a fragment that a veth or any receive path must
// first copy into a freshly allocated page (skb_copy_ubufs), which measured as the ring's main
// cost. Without PACKET_VNET_HDR (old kernels) the ring works the same, with fragments.
#include <linux/if_packet.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/unique_fd.hpp"

namespace tcplab::gen {

class TxRing {
public:
    // Throws EnvironmentError without CAP_NET_RAW, SystemError when the ring cannot be set up
    // (old kernel, no memory for the mapping, interface gone): the caller may fall back.
    TxRing(int ifindex, std::uint16_t ether_type, std::size_t max_frame, std::size_t slots);
    ~TxRing();
    TxRing(const TxRing&) = delete;
    TxRing& operator=(const TxRing&) = delete;

    std::size_t slots() const { return slots_; }
    // Frame bytes of slot i (room for max_frame bytes).
    std::uint8_t* data(std::size_t i) const { return header(i) + kDataOffset + vnet_length_; }
    // Slot i is ours to write: the kernel sent (or never had) its frame.
    bool writable(std::size_t i) const;
    // The kernel rejected slot i's frame (malformed for the device): a send error.
    bool rejected(std::size_t i) const;
    // Hands slot i (len bytes written at data(i)) to the kernel at the next kick().
    void submit(std::size_t i, std::size_t len);
    // Sends every submitted frame; does not wait for the driver. Returns 0 or an errno value
    // for a transient refusal (ENOBUFS, EAGAIN, ENETDOWN, ENXIO); throws on anything else.
    int kick();
    // Waits up to `timeout` for slot i to become writable (after a kick()).
    bool wait_writable(std::size_t i, std::chrono::microseconds timeout);

private:
    static constexpr std::size_t kDataOffset = TPACKET_ALIGN(sizeof(tpacket2_hdr));
    // struct virtio_net_hdr (linux/virtio_net.h, not includable from C++: a member is named
    // `class`): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset.
    static constexpr std::size_t kVnetHeaderLength = 10;
    tpacket2_hdr* header_struct(std::size_t i) const;
    std::uint8_t* header(std::size_t i) const { return map_ + i * frame_size_; }

    UniqueFd fd_;
    int ifindex_;
    std::uint16_t ether_type_;
    std::size_t frame_size_ = 0;
    std::size_t slots_ = 0;
    std::size_t map_length_ = 0;
    std::uint8_t* map_ = nullptr;
    std::size_t vnet_length_ = 0;  // kVnetHeaderLength when PACKET_VNET_HDR is on
};

}  // namespace tcplab::gen
