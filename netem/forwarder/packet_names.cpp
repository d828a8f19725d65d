#include "netem/forwarder/detail/packet_names.hpp"

#include <algorithm>

#include "base/hash.hpp"
#include "packet/byte_io.hpp"
#include "packet/ipv4.hpp"
#include "packet/tcp.hpp"

namespace tcplab::netem {

namespace {

std::uint64_t address_hash(std::uint64_t h, const packet::IpAddress& a) {
    return hash_bytes({a.bytes.data(), a.size()}, h);
}

}  // namespace

PacketFacts PacketNames::facts_of(const packet::Dissected& d, std::span<const std::uint8_t> frame) {
    PacketFacts p;
    std::uint64_t key = address_hash(address_hash(d.protocol, d.src), d.dst);
    if (d.is_tcp) {
        key = hash_combine(key, (std::uint64_t{d.tcp.src_port} << 16) | d.tcp.dst_port);
    } else if (d.protocol == packet::kIpProtoUdp && d.transport_offset + 4 <= frame.size()) {
        key =
            hash_combine(key, (std::uint64_t{packet::load_be16(&frame[d.transport_offset])} << 16) |
                                  packet::load_be16(&frame[d.transport_offset + 2]));
    }
    auto [it, fresh] = flows_.try_emplace(key);
    if (fresh) {
        it->second.ordinal = next_ordinal_++;
        it->second.base_seq = d.is_tcp ? d.tcp.seq.raw() : 0;
    }
    Flow& flow = it->second;
    const std::uint64_t name = mix64(flow.ordinal + 1);
    p.flow = name;
    if (!d.is_tcp) {
        const std::size_t from = std::min(frame.size(), d.transport_offset + 8);
        p.identity = hash_bytes(frame.subspan(from), name);
        return p;
    }
    namespace tf = packet::tcp_flag;
    if (d.tcp.has(tf::kSyn)) {
        flow.base_seq = d.tcp.seq.raw();  // a new connection on a reused 4-tuple
        flow.base_ack.reset();
    }
    if (d.tcp.has(tf::kAck) && !flow.base_ack) {
        flow.base_ack = d.tcp.ack.raw();
    }
    p.is_tcp = true;
    p.tcp_flags = d.tcp.flags;
    p.seq = d.tcp.seq.raw() - flow.base_seq;
    p.payload_length = d.tcp_payload_length;
    // PSH (set where a write happened to end), ECE/CWR and URG depend on timing, not on which
    // segment this is: left out, so a re-run with other PSH placement draws the same.
    constexpr std::uint16_t kIdentityFlags = tf::kSyn | tf::kFin | tf::kRst | tf::kAck;
    const std::uint16_t flags = p.tcp_flags & kIdentityFlags;
    const std::uint64_t shape = (static_cast<std::uint64_t>(flags) << 32) | p.payload_length;
    if (flags == tf::kAck && p.payload_length == 0) {
        // A pure ACK: by the byte it acknowledges, not by its own seq (see the header).
        p.identity = hash_combine(hash_combine(name, shape), d.tcp.ack.raw() - *flow.base_ack);
    } else {
        p.identity = hash_combine(hash_combine(name, p.seq), shape);
    }
    return p;
}

}  // namespace tcplab::netem
