#include "generator/detail/channel.hpp"

#include <random>

#include "base/errors.hpp"
#include "packet/builder.hpp"

namespace tcplab::gen {

void check_same_family(const packet::IpAddress& src, const packet::IpAddress& dst) {
    if (src.family != dst.family) {
        throw UsageError("--src " + src.to_string() + " and --dst " + dst.to_string() +
                         " are not of the same address family");
    }
}

std::uint16_t random_port() {
    std::random_device rd;
    return static_cast<std::uint16_t>(32768 + rd() % (60999 - 32768 + 1));
}

std::uint32_t random_u32() {
    std::random_device rd;
    return rd();
}

SegmentChannel::SegmentChannel(const ChannelConfig& config)
    : config_(config),
      sender_(config.src.family),
      ip_id_(static_cast<std::uint16_t>(random_u32())) {
    check_same_family(config.src, config.dst.address);
}

bool SegmentChannel::send(const packet::TcpHeader& tcp, std::span<const std::uint8_t> payload) {
    packet::IpParams ip;
    ip.src = config_.src;
    ip.dst = config_.dst.address;
    ip.ttl = config_.ttl;
    ip.identification = ip_id_++;
    packet::TcpHeader header = tcp;
    header.src_port = config_.sport;
    header.dst_port = config_.dst.port;
    auto bytes = packet::build_tcp_packet(ip, header, payload);
    // Keep the header as parsed back from the bytes: that is what a capture will show.
    const auto parsed = packet::dissect_ip(bytes);
    last_sent_ = parsed && parsed->is_tcp ? parsed->tcp : header;
    // One retry for a momentarily full queue; a lost send is then just a loss TCP recovers from.
    return sender_.send(bytes, ip.dst) || sender_.send(bytes, ip.dst);
}

std::optional<IncomingSegment> SegmentChannel::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) {
            return std::nullopt;
        }
        auto raw = receiver_.receive(left);
        if (!raw) {
            return std::nullopt;
        }
        auto parsed = packet::dissect_ip(raw->bytes);
        if (!parsed || !parsed->is_tcp) {
            continue;
        }
        const auto& d = parsed.value();
        if (d.src != config_.dst.address || d.dst != config_.src ||
            d.tcp.src_port != config_.dst.port || d.tcp.dst_port != config_.sport) {
            continue;
        }
        IncomingSegment segment{d, {}, raw->at};
        const std::size_t begin = d.tcp_payload_offset;
        const std::size_t end = std::min(raw->bytes.size(), begin + d.captured_payload);
        if (begin < end) {
            segment.payload.assign(raw->bytes.begin() + static_cast<std::ptrdiff_t>(begin),
                                   raw->bytes.begin() + static_cast<std::ptrdiff_t>(end));
        }
        return segment;
    }
}

}  // namespace tcplab::gen
