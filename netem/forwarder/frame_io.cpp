#include "netem/forwarder/frame_io.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/errors.hpp"

namespace tcplab::netem {

namespace {

constexpr std::size_t kRingBytes = 8u << 20;  // ~5,000 full-size frames: bursts at 1 Gbit/s
constexpr std::size_t kRingBlock = 1u << 16;
// Where the kernel puts the frame in a slot: after the tpacket2_hdr and the sockaddr_ll.
constexpr std::size_t kSlotHeader = TPACKET_ALIGN(TPACKET2_HDRLEN) + 16;

void set_int_option(int fd, int level, int name, int value, const char* what,
                    const std::string& interface, bool required) {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0 && required) {
        throw SystemError(std::string("setsockopt(") + what + ") on " + interface + ": " +
                          std::strerror(errno));
    }
}

// The slot status word is shared with the kernel (the first field of tpacket2_hdr): read it
// with acquire, write it with release, so the frame bytes and the hand-over are ordered.
std::uint32_t* status_word(std::uint8_t* slot) { return reinterpret_cast<std::uint32_t*>(slot); }

// A power of two that holds the header and the largest frame of the interface (MTU + Ethernet
// header + a VLAN tag), at least 2 KiB.
std::size_t slot_size(int mtu) {
    const std::size_t need = kSlotHeader + static_cast<std::size_t>(std::max(mtu, 1500)) + 18;
    std::size_t size = 2048;
    while (size < need) {
        size *= 2;
    }
    return size;
}

}  // namespace

RxRing::~RxRing() {
    if (base_ != nullptr) {
        ::munmap(base_, bytes_);
    }
}

RxRing::RxRing(RxRing&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      bytes_(other.bytes_),
      frame_size_(other.frame_size_),
      frames_(other.frames_) {}

RxRing& RxRing::operator=(RxRing&& other) noexcept {
    if (this != &other) {
        if (base_ != nullptr) {
            ::munmap(base_, bytes_);
        }
        base_ = std::exchange(other.base_, nullptr);
        bytes_ = other.bytes_;
        frame_size_ = other.frame_size_;
        frames_ = other.frames_;
    }
    return *this;
}

FrameSocket::FrameSocket(const std::string& interface) : interface_(interface) {
    // Protocol 0: the socket receives nothing until bind() names the interface, so no frame of
    // another interface can slip into the ring in between.
    fd_.reset(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd_) {
        const int err = errno;
        if (err == EPERM || err == EACCES) {
            throw EnvironmentError("cannot open an AF_PACKET socket for " + interface +
                                   ": needs root / CAP_NET_RAW");
        }
        throw SystemError("socket(AF_PACKET) for " + interface + ": " + std::strerror(err));
    }
    ifreq req{};
    if (interface.size() >= sizeof req.ifr_name) {
        throw UsageError("interface name too long: " + interface);
    }
    std::memcpy(req.ifr_name, interface.c_str(), interface.size() + 1);
    if (::ioctl(fd_.get(), SIOCGIFINDEX, &req) != 0) {
        throw EnvironmentError("no interface " + interface +
                               " in this namespace: " + std::strerror(errno));
    }
    ifindex_ = req.ifr_ifindex;
    if (::ioctl(fd_.get(), SIOCGIFHWADDR, &req) != 0) {
        throw SystemError("SIOCGIFHWADDR on " + interface + ": " + std::strerror(errno));
    }
    std::memcpy(mac_.data(), req.ifr_hwaddr.sa_data, mac_.size());
    if (::ioctl(fd_.get(), SIOCGIFMTU, &req) != 0) {
        throw SystemError("SIOCGIFMTU on " + interface + ": " + std::strerror(errno));
    }
    const std::size_t frame_size = slot_size(req.ifr_mtu);

    // Our own sends must not come back as input (Linux >= 4.20).
    set_int_option(fd_.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING",
                   interface, true);
    set_int_option(fd_.get(), SOL_PACKET, PACKET_VERSION, TPACKET_V2, "PACKET_VERSION", interface,
                   true);
    // veth has no qdisc worth passing through; going straight to the driver saves a lock.
    set_int_option(fd_.get(), SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS", interface,
                   false);
    constexpr int kSendBuffer = 8 << 20;
    if (::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUFFORCE, &kSendBuffer, sizeof kSendBuffer) !=
        0) {
        set_int_option(fd_.get(), SOL_SOCKET, SO_SNDBUF, kSendBuffer, "SO_SNDBUF", interface,
                       false);
    }
    // TPACKET_V2, not V3: V3 hands frames over a block at a time, which holds a lone frame back
    // until the block's timer fires (milliseconds) and would distort delay and RTT experiments.
    tpacket_req ring{};
    ring.tp_block_size = static_cast<unsigned>(std::max(kRingBlock, frame_size));
    ring.tp_block_nr = static_cast<unsigned>(kRingBytes / ring.tp_block_size);
    ring.tp_frame_size = static_cast<unsigned>(frame_size);
    ring.tp_frame_nr = ring.tp_block_nr * (ring.tp_block_size / ring.tp_frame_size);
    if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_RX_RING, &ring, sizeof ring) != 0) {
        throw SystemError("setsockopt(PACKET_RX_RING) on " + interface + ": " +
                          std::strerror(errno));
    }
    const std::size_t bytes = std::size_t{ring.tp_block_size} * ring.tp_block_nr;
    void* base =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_.get(), 0);
    if (base == MAP_FAILED) {
        throw SystemError("mmap of the receive ring of " + interface + ": " + std::strerror(errno));
    }
    ring_ = RxRing(base, bytes, frame_size, ring.tp_frame_nr);

    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ALL);
    addr.sll_ifindex = ifindex_;
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        throw SystemError("bind(AF_PACKET) to " + interface + ": " + std::strerror(errno));
    }
}

std::size_t FrameSocket::max_frame() const { return ring_.frame_size() - kSlotHeader; }

std::size_t FrameSocket::receive(RxBatch& batch) {
    release(batch);
    batch.first_slot_ = head_;
    std::size_t n = 0;
    while (n < RxBatch::kBatch) {
        std::uint8_t* slot = ring_.slot(head_);
        const std::uint32_t status = __atomic_load_n(status_word(slot), __ATOMIC_ACQUIRE);
        if ((status & TP_STATUS_USER) == 0) {
            break;
        }
        tpacket2_hdr header;
        std::memcpy(&header, slot, sizeof header);
        sockaddr_ll from;
        std::memcpy(&from, slot + TPACKET_ALIGN(sizeof(tpacket2_hdr)), sizeof from);
        RxFrame& f = batch.frames_[n++];
        f.data = slot + header.tp_mac;
        f.length = std::min<std::size_t>(header.tp_snaplen, ring_.frame_size() - header.tp_mac);
        f.truncated = header.tp_snaplen < header.tp_len;
        f.packet_type = from.sll_pkttype;
        f.checksum_partial = (status & TP_STATUS_CSUMNOTREADY) != 0;
        head_ = (head_ + 1) % ring_.frames();
    }
    batch.count_ = n;
    return n;
}

void FrameSocket::release(RxBatch& batch) {
    for (std::size_t i = 0; i < batch.count_; ++i) {
        __atomic_store_n(status_word(ring_.slot(batch.first_slot_ + i)), TP_STATUS_KERNEL,
                         __ATOMIC_RELEASE);
    }
    batch.count_ = 0;
}

std::uint64_t FrameSocket::take_ring_drops() {
    tpacket_stats stats{};
    socklen_t len = sizeof stats;
    if (::getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &stats, &len) != 0) {
        return 0;
    }
    return stats.tp_drops;
}

std::size_t FrameSocket::send(std::span<const std::span<const std::uint8_t>> frames,
                              std::vector<std::size_t>& failed) {
    std::size_t sent = 0;
    std::size_t next = 0;
    std::array<mmsghdr, RxBatch::kBatch> msgs{};
    std::array<iovec, RxBatch::kBatch> iov{};
    int stalls = 0;  // bounded wait for a full socket buffer (~20 ms), then the frame is refused
    while (next < frames.size()) {
        const std::size_t chunk = std::min(frames.size() - next, RxBatch::kBatch);
        for (std::size_t i = 0; i < chunk; ++i) {
            const auto& f = frames[next + i];
            iov[i] = {const_cast<std::uint8_t*>(f.data()), f.size()};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        const int n = ::sendmmsg(fd_.get(), msgs.data(), static_cast<unsigned>(chunk), 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && ++stalls < 400) {
                // Socket buffer full: give the driver a moment rather than dropping.
                ::usleep(50);
                continue;
            }
            failed.push_back(next);  // this frame was refused; carry on with the next
            ++next;
            continue;
        }
        sent += static_cast<std::size_t>(n);
        next += static_cast<std::size_t>(n);
    }
    return sent;
}

}  // namespace tcplab::netem
