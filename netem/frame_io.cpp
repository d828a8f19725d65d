#include "netem/frame_io.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "packet/errors.hpp"

namespace tcplab::netem {

namespace {

constexpr std::size_t kControlSize = CMSG_SPACE(sizeof(tpacket_auxdata));

void set_int_option(int fd, int level, int name, int value, const char* what,
                    const std::string& interface, bool required) {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0 && required) {
        throw SystemError(std::string("setsockopt(") + what + ") on " + interface + ": " +
                          std::strerror(errno));
    }
}

}  // namespace

std::string to_string(const MacAddress& mac) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                  mac[4], mac[5]);
    return buf;
}

RxBatch::RxBatch() : storage_(kBatch * (kSlot + kControlSize)) {}

FrameSocket::FrameSocket(const std::string& interface) : interface_(interface) {
    fd_.reset(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL)));
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
        throw EnvironmentError("no interface " + interface + " in this namespace: " +
                               std::strerror(errno));
    }
    ifindex_ = req.ifr_ifindex;
    if (::ioctl(fd_.get(), SIOCGIFHWADDR, &req) != 0) {
        throw SystemError("SIOCGIFHWADDR on " + interface + ": " + std::strerror(errno));
    }
    std::memcpy(mac_.data(), req.ifr_hwaddr.sa_data, mac_.size());

    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ALL);
    addr.sll_ifindex = ifindex_;
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        throw SystemError("bind(AF_PACKET) to " + interface + ": " + std::strerror(errno));
    }
    // Our own sends must not come back as input (Linux >= 4.20).
    set_int_option(fd_.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING",
                   interface, true);
    set_int_option(fd_.get(), SOL_PACKET, PACKET_AUXDATA, 1, "PACKET_AUXDATA", interface, true);
    // veth has no qdisc worth passing through; going straight to the driver saves a lock.
    set_int_option(fd_.get(), SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS", interface,
                   false);
    // Bursts at 1 Gbit/s: a few MB of socket buffer so a scheduling hiccup does not drop frames.
    // FORCE ignores rmem_max (we are root); fall back to the plain option otherwise.
    constexpr int kBuffer = 8 << 20;
    if (::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &kBuffer, sizeof kBuffer) != 0) {
        set_int_option(fd_.get(), SOL_SOCKET, SO_RCVBUF, kBuffer, "SO_RCVBUF", interface, false);
    }
    if (::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUFFORCE, &kBuffer, sizeof kBuffer) != 0) {
        set_int_option(fd_.get(), SOL_SOCKET, SO_SNDBUF, kBuffer, "SO_SNDBUF", interface, false);
    }
    // Drop whatever arrived between socket() and bind() (frames of any interface).
    RxBatch scratch;
    while (receive(scratch) > 0) {
    }
}

std::size_t FrameSocket::receive(RxBatch& batch) {
    std::array<mmsghdr, RxBatch::kBatch> msgs{};
    std::array<iovec, RxBatch::kBatch> iov{};
    std::array<sockaddr_ll, RxBatch::kBatch> names{};
    const std::size_t stride = RxBatch::kSlot + kControlSize;
    for (std::size_t i = 0; i < RxBatch::kBatch; ++i) {
        std::uint8_t* slot = batch.storage_.data() + i * stride;
        iov[i] = {slot, RxBatch::kSlot};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &names[i];
        msgs[i].msg_hdr.msg_namelen = sizeof names[i];
        msgs[i].msg_hdr.msg_control = slot + RxBatch::kSlot;
        msgs[i].msg_hdr.msg_controllen = kControlSize;
    }
    const int n = ::recvmmsg(fd_.get(), msgs.data(), RxBatch::kBatch, MSG_DONTWAIT | MSG_TRUNC,
                             nullptr);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            batch.count_ = 0;
            return 0;
        }
        throw SystemError("recvmmsg on " + interface_ + ": " + std::strerror(errno));
    }
    batch.count_ = static_cast<std::size_t>(n);
    for (std::size_t i = 0; i < batch.count_; ++i) {
        RxFrame& f = batch.frames_[i];
        const std::size_t wire = msgs[i].msg_len;
        f.data = static_cast<std::uint8_t*>(iov[i].iov_base);
        f.truncated = wire > RxBatch::kSlot || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        f.length = f.truncated ? RxBatch::kSlot : wire;
        f.packet_type = names[i].sll_pkttype;
        f.checksum_partial = false;
        f.checksum_start = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != nullptr;
             c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
            if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
                tpacket_auxdata aux;
                std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
                f.checksum_partial = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
                f.checksum_start = aux.tp_net;
            }
        }
    }
    return batch.count_;
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
