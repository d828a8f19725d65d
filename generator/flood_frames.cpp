#include "generator/detail/flood_frames.hpp"

#include <cstring>

#include "packet/builder.hpp"
#include "packet/checksum.hpp"
#include "packet/link.hpp"

namespace tcplab::gen {

namespace {

constexpr std::size_t kEthernetLength = 14;

void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

void put32(std::uint8_t* p, std::uint32_t v) {
    put16(p, static_cast<std::uint16_t>(v >> 16));
    put16(p + 2, static_cast<std::uint16_t>(v));
}

// The per-packet values, one definition for the template and for write().
std::uint32_t seq_of(std::uint64_t k) {
    // Spread sequence numbers (Knuth's multiplicative hash) like a real SYN flood does.
    return static_cast<std::uint32_t>(k * 2654435761u);
}
std::uint32_t ack_of(std::uint64_t k) { return static_cast<std::uint32_t>(k * 40503u + 1); }

// The running one's-complement sum (not yet complemented) of what `sum` has seen, folded to 16
// bits: adding further 16-bit words to it and folding again gives the same checksum as summing
// everything at once (RFC 1071: the sum is associative and commutative).
std::uint32_t partial(const packet::ChecksumAccumulator& sum) {
    return static_cast<std::uint16_t>(~sum.fold());
}

std::uint16_t finish(std::uint64_t sum) {
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

std::uint32_t words32(std::uint32_t v) { return (v >> 16) + (v & 0xffff); }

}  // namespace

FloodFrames::FloodFrames(const FloodOptions& options, const packet::IpAddress& default_src,
                         const std::array<std::uint8_t, 6>& src_mac,
                         const std::array<std::uint8_t, 6>& dst_mac)
    : kind_(options.kind),
      v4_(options.dst.address.is_v4()),
      sport_low_(options.sport_low),
      ports_(std::uint64_t{options.sport_high} - options.sport_low + 1) {
    if (options.src_range) {
        sources_.reserve(options.src_range->size());
        for (std::uint64_t i = 0; i < options.src_range->size(); ++i) {
            sources_.push_back(options.src_range->at(i));
        }
    } else {
        sources_.push_back(default_src);
    }
    for (const auto& source : sources_) {
        packet::ChecksumAccumulator sum;
        sum.add({source.bytes.data(), source.size()});
        source_sums_.push_back(partial(sum));
    }
    // The template: every varying field zero, so the bases below sum only the constant words.
    packet::IpParams ip;
    ip.src = sources_[0];
    ip.src.bytes.fill(0);
    ip.dst = options.dst.address;
    ip.ttl = options.ttl;
    std::vector<std::uint8_t> l3;
    if (kind_ == FloodKind::udp) {
        packet::UdpHeader udp;
        udp.dst_port = options.dst.port;
        l3 = packet::build_udp_packet(ip, udp, std::vector<std::uint8_t>(options.payload, 0));
    } else {
        packet::TcpHeader tcp;
        tcp.dst_port = options.dst.port;
        tcp.window = 64240;
        tcp.flags = kind_ == FloodKind::syn ? packet::tcp_flag::kSyn : packet::tcp_flag::kAck;
        l3 = packet::build_tcp_packet(ip, tcp, {});
    }
    packet::EthernetHeader eth;
    eth.src = src_mac;
    eth.dst = dst_mac;
    eth.ether_type = v4_ ? packet::kEtherTypeIpv4 : packet::kEtherTypeIpv6;
    packet::write_ethernet(eth, template_);
    template_.insert(template_.end(), l3.begin(), l3.end());

    std::uint8_t* const ip_header = template_.data() + kEthernetLength;
    const std::size_t ip_length = v4_ ? std::size_t{(ip_header[0] & 0x0fu) * 4u} : 40;
    l4_ = kEthernetLength + ip_length;
    const std::size_t checksum_at = kind_ == FloodKind::udp ? 6 : 16;
    put16(template_.data() + l4_ + checksum_at, 0);
    if (v4_) {
        put16(ip_header + 10, 0);
        packet::ChecksumAccumulator ip_sum;
        ip_sum.add({ip_header, ip_length});
        ip_base_ = partial(ip_sum);
    }
    // Pseudo-header (RFC 9293 3.1 / RFC 8200 8.1) without the source address, then the segment.
    const std::size_t segment_length = template_.size() - l4_;
    const std::uint8_t protocol = kind_ == FloodKind::udp ? 17 : 6;
    packet::ChecksumAccumulator l4_sum;
    l4_sum.add({options.dst.address.bytes.data(), options.dst.address.size()});
    if (v4_) {
        l4_sum.add_u16(protocol);
        l4_sum.add_u16(static_cast<std::uint16_t>(segment_length));
    } else {
        l4_sum.add_u32(static_cast<std::uint32_t>(segment_length));
        l4_sum.add_u32(protocol);
    }
    l4_sum.add({template_.data() + l4_, segment_length});  // an odd last byte is padded (RFC 1071)
    l4_base_ = partial(l4_sum);
}

void FloodFrames::write(std::uint64_t k, std::uint8_t* frame) const {
    const std::size_t source = sources_.size() == 1 ? 0 : k % sources_.size();
    const packet::IpAddress& src = sources_[source];
    std::uint8_t* const ip_header = frame + kEthernetLength;
    if (v4_) {
        const auto id = static_cast<std::uint16_t>(k);
        std::memcpy(ip_header + 12, src.bytes.data(), 4);
        put16(ip_header + 4, id);
        put16(ip_header + 10, finish(std::uint64_t{ip_base_} + id + source_sums_[source]));
    } else {
        std::memcpy(ip_header + 8, src.bytes.data(), 16);
    }
    std::uint8_t* const l4 = frame + l4_;
    const auto sport = static_cast<std::uint16_t>(sport_low_ + k % ports_);
    put16(l4, sport);
    std::uint64_t sum = std::uint64_t{l4_base_} + source_sums_[source] + sport;
    if (kind_ == FloodKind::udp) {
        const std::uint16_t checksum = finish(sum);
        put16(l4 + 6, checksum == 0 ? 0xffff : checksum);  // RFC 768: 0 means "none"
        return;
    }
    const std::uint32_t seq = seq_of(k);
    put32(l4 + 4, seq);
    sum += words32(seq);
    if (kind_ == FloodKind::ack) {
        const std::uint32_t ack = ack_of(k);
        put32(l4 + 8, ack);
        sum += words32(ack);
    }
    put16(l4 + 16, finish(sum));
}

std::vector<std::vector<std::uint8_t>> build_flood_frames(
    const FloodOptions& options, const packet::IpAddress& default_src,
    const std::array<std::uint8_t, 6>& src_mac, const std::array<std::uint8_t, 6>& dst_mac,
    unsigned thread_index, std::size_t frames) {
    const FloodFrames model(options, default_src, src_mac, dst_mac);
    std::vector<std::vector<std::uint8_t>> out(
        frames, std::vector<std::uint8_t>(model.bytes().begin(), model.bytes().end()));
    for (std::size_t i = 0; i < frames; ++i) {
        model.write(std::uint64_t{i} * options.threads + thread_index, out[i].data());
    }
    return out;
}

}  // namespace tcplab::gen
