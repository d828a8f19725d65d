#include "generator/segment.hpp"

#include "base/errors.hpp"
#include "generator/detail/channel.hpp"
#include "generator/detail/raw_socket.hpp"
#include "packet/builder.hpp"
#include "packet/format.hpp"

namespace tcplab::gen {

namespace {

packet::TcpHeader header_of(const SegmentOptions& options) {
    packet::TcpHeader tcp;
    tcp.src_port = options.sport;
    tcp.dst_port = options.dst.port;
    tcp.seq = packet::SeqNum(options.seq);
    tcp.ack = packet::SeqNum(options.ack);
    tcp.flags = options.flags;
    tcp.window = options.window;
    tcp.urgent_pointer = options.urgent_pointer;
    tcp.option_list = options.options;
    return tcp;
}

}  // namespace

std::vector<std::uint8_t> build_segment(const SegmentOptions& options) {
    check_same_family(options.src, options.dst.address);
    packet::IpParams ip;
    ip.src = options.src;
    ip.dst = options.dst.address;
    ip.ttl = options.ttl;
    ip.identification = static_cast<std::uint16_t>(random_u32());
    return packet::build_tcp_packet(ip, header_of(options), options.payload, options.bad_checksum);
}

SegmentSent send_segment(const SegmentOptions& options) {
    SegmentSent sent;
    sent.packet = build_segment(options);
    RawSender sender(options.src.family);
    if (!sender.send(sent.packet, options.dst.address)) {
        throw SystemError("sending to " + options.dst.to_string() +
                          " failed: " + sender.last_error());
    }
    packet::InfoLine shown;
    shown.seq = options.seq;
    shown.ack = options.ack;
    shown.payload_length = static_cast<std::uint32_t>(options.payload.size());
    shown.window = options.window;
    const auto tcp = header_of(options);
    // Parse our own bytes back so the line shows the options exactly as they went out.
    auto parsed = packet::dissect_ip(sent.packet);
    sent.line = packet::info_line(parsed && parsed->is_tcp ? parsed->tcp : tcp, shown);
    return sent;
}

}  // namespace tcplab::gen
