#pragma once
// FloodFrames: the frames of a flood, built once and then varied per packet in place. Frame k
// differs from the template only in the source address, source port, IPv4 identification and
// (TCP) sequence/acknowledgment numbers; write(k, frame) stores those fields and the checksums,
// where each checksum is the precomputed sum of the constant words plus the few varying ones
// (RFC 1071/1624), so a frame costs a handful of stores, not a rebuild. Sender threads interleave
// k (k = i * threads + thread), so no two threads send the same 4-tuple at once.
#include <cstdint>
#include <span>
#include <vector>

#include "generator/flood.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::gen {

class FloodFrames {
public:
    FloodFrames(const FloodOptions& options, const packet::IpAddress& default_src,
                const std::array<std::uint8_t, 6>& src_mac,
                const std::array<std::uint8_t, 6>& dst_mac);

    // The template (frame 0's constant bytes); copy it into a buffer once, then write() any k.
    std::span<const std::uint8_t> bytes() const { return template_; }
    std::size_t size() const { return template_.size(); }
    // Turns a copy of bytes() (or any frame previously written by this object) into frame k.
    void write(std::uint64_t k, std::uint8_t* frame) const;

private:
    FloodKind kind_;
    bool v4_;
    std::vector<std::uint8_t> template_;
    std::vector<packet::IpAddress> sources_;
    std::vector<std::uint32_t> source_sums_;  // one's-complement sum of each source address
    std::uint16_t sport_low_;
    std::uint64_t ports_;
    std::size_t l4_;             // offset of the TCP/UDP header in the frame
    std::uint32_t ip_base_ = 0;  // folded sum: IPv4 header without id, source, checksum
    std::uint32_t l4_base_ = 0;  // folded sum: pseudo-header + segment, no varying fields
};

}  // namespace tcplab::gen
