#include "generator/detail/tx_ring.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/errors.hpp"
#include "generator/detail/raw_socket.hpp"

namespace tcplab::gen {

namespace {

[[noreturn]] void fail(const char* what) {
    throw SystemError(std::string("tx ring: ") + what + ": " + std::strerror(errno));
}

std::size_t round_up_pow2(std::size_t n) {
    std::size_t p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

}  // namespace

TxRing::TxRing(int ifindex, std::uint16_t ether_type, std::size_t max_frame, std::size_t slots)
    : ifindex_(ifindex), ether_type_(ether_type) {
    fd_.reset(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));  // protocol 0: send only
    if (!fd_.valid()) {
        throw_socket_error("packet socket", errno);
    }
    const int version = TPACKET_V2;
    if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) {
        fail("PACKET_VERSION");
    }
    const int one = 1;
    // Straight to the driver: the flood measures the generator, not the qdisc (optional: old
    // kernels lack it and then go through the qdisc).
    (void)::setsockopt(fd_.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    // Before the ring exists (the kernel refuses it after): see the header for why.
    if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) == 0) {
        vnet_length_ = kVnetHeaderLength;
    }

    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    frame_size_ = std::max<std::size_t>(TPACKET_ALIGNMENT * 8,
                                        round_up_pow2(kDataOffset + kVnetHeaderLength + max_frame));
    const std::size_t block_size = std::max(page * 4, frame_size_);
    const std::size_t per_block = block_size / frame_size_;
    const std::size_t blocks = (std::max<std::size_t>(slots, 1) + per_block - 1) / per_block;
    slots_ = blocks * per_block;
    tpacket_req request{};
    request.tp_block_size = static_cast<unsigned>(block_size);
    request.tp_block_nr = static_cast<unsigned>(blocks);
    request.tp_frame_size = static_cast<unsigned>(frame_size_);
    request.tp_frame_nr = static_cast<unsigned>(slots_);
    if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_TX_RING, &request, sizeof request) != 0) {
        fail("PACKET_TX_RING");
    }
    map_length_ = block_size * blocks;
    void* map = ::mmap(nullptr, map_length_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                       fd_.get(), 0);
    if (map == MAP_FAILED) {
        fail("mmap");
    }
    map_ = static_cast<std::uint8_t*>(map);
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = ifindex_;
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int err = errno;
        ::munmap(map_, map_length_);
        errno = err;
        fail("bind");
    }
}

TxRing::~TxRing() {
    if (map_ != nullptr) {
        ::munmap(map_, map_length_);
    }
}

tpacket2_hdr* TxRing::header_struct(std::size_t i) const {
    // The ring is the kernel's shared memory in its own layout, not capture bytes: this is the
    // documented way to reach a slot's header (packet_mmap.rst).
    return reinterpret_cast<tpacket2_hdr*>(header(i));
}

bool TxRing::writable(std::size_t i) const {
    const auto status = __atomic_load_n(&header_struct(i)->tp_status, __ATOMIC_ACQUIRE);
    return status == TP_STATUS_AVAILABLE || status == TP_STATUS_WRONG_FORMAT;
}

bool TxRing::rejected(std::size_t i) const {
    return __atomic_load_n(&header_struct(i)->tp_status, __ATOMIC_ACQUIRE) ==
           TP_STATUS_WRONG_FORMAT;
}

void TxRing::submit(std::size_t i, std::size_t len) {
    tpacket2_hdr* h = header_struct(i);
    if (vnet_length_ != 0) {
        // No offloads (flags 0, GSO none); hdr_len: copy the whole frame into the linear area.
        // legacy virtio: host byte order.
        std::uint8_t vnet[kVnetHeaderLength] = {};
        const auto hdr_len = static_cast<std::uint16_t>(len);
        std::memcpy(vnet + 2, &hdr_len, sizeof hdr_len);
        std::memcpy(header(i) + kDataOffset, vnet, sizeof vnet);
    }
    h->tp_len = static_cast<std::uint32_t>(vnet_length_ + len);
    // The frame bytes must be visible before the kernel sees the status flip.
    __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
}

int TxRing::kick() {
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = ifindex_;
    address.sll_protocol = htons(ether_type_);
    if (::sendto(fd_.get(), nullptr, 0, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&address),
                 sizeof address) >= 0) {
        return 0;
    }
    const int err = errno;
    if (err == ENOBUFS || err == EAGAIN || err == EINTR || err == ENETDOWN || err == ENXIO) {
        return err;
    }
    throw SystemError(std::string("tx ring: sendto: ") + std::strerror(err));
}

bool TxRing::wait_writable(std::size_t i, std::chrono::microseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!writable(i)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) {
            return false;
        }
        // POLLOUT: the kernel signals when a sent frame's slot comes back.
        pollfd pfd{fd_.get(), POLLOUT, 0};
        (void)::poll(&pfd, 1, static_cast<int>(std::min<long>(left.count() + 1, 10)));
    }
    return true;
}

}  // namespace tcplab::gen
