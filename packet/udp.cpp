#include "packet/udp.hpp"

#include "packet/byte_io.hpp"

namespace tcplab::packet {

Result<UdpHeader> parse_udp(std::span<const std::uint8_t> bytes) {
    ByteReader r(bytes);
    if (!r.need(8)) return ParseError{ErrorCode::truncated, 0, "UDP header truncated"};
    UdpHeader h;
    h.src_port = r.u16();
    h.dst_port = r.u16();
    h.length = r.u16();
    h.checksum = r.u16();
    if (h.length < 8) return ParseError{ErrorCode::bad_total_length, 4, "UDP length below 8"};
    return h;
}

}  // namespace tcplab::packet
