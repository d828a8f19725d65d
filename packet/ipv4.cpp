#include "packet/ipv4.hpp"

#include "packet/byte_io.hpp"
#include "packet/checksum.hpp"
#include "packet/detail/ip_detail.hpp"

namespace tcplab::packet {

Result<Ipv4Header> parse_ipv4(std::span<const std::uint8_t> bytes) {
    const auto header_length = detail::check_ipv4(bytes);
    if (!header_length) return header_length.error();
    Ipv4Header out;
    ByteReader r(bytes);
    r.skip(1);  // version and IHL
    out.dscp_ecn = r.u8();
    out.total_length = r.u16();
    out.identification = r.u16();
    const std::uint16_t flags_fragment = r.u16();
    out.dont_fragment = (flags_fragment & 0x4000) != 0;
    out.more_fragments = (flags_fragment & 0x2000) != 0;
    out.fragment_offset = flags_fragment & 0x1FFF;
    out.ttl = r.u8();
    out.protocol = r.u8();
    out.checksum = r.u16();
    out.src.assign_v4(r.bytes(4).data());
    out.dst.assign_v4(r.bytes(4).data());
    const auto options = r.bytes(*header_length - 20);
    out.options.assign(options.begin(), options.end());
    return out;
}

void write_ipv4(const Ipv4Header& header, std::size_t payload_length,
                std::vector<std::uint8_t>& out) {
    const std::size_t start = out.size();
    const std::size_t header_length = header.header_length();
    ByteWriter w(out);
    w.u8(static_cast<std::uint8_t>(0x40 | (header_length / 4)));
    w.u8(header.dscp_ecn);
    w.u16(static_cast<std::uint16_t>(header_length + payload_length));
    w.u16(header.identification);
    w.u16(static_cast<std::uint16_t>((header.dont_fragment ? 0x4000 : 0) |
                                     (header.more_fragments ? 0x2000 : 0) |
                                     (header.fragment_offset & 0x1FFF)));
    w.u8(header.ttl);
    w.u8(header.protocol);
    w.u16(0);  // checksum, patched below
    w.bytes({header.src.bytes.data(), 4});
    w.bytes({header.dst.bytes.data(), 4});
    w.bytes(header.options);
    w.zeros(header_length - 20 - header.options.size());  // pad options with EOL to 32 bits
    w.patch_u16(start + 10, internet_checksum({out.data() + start, header_length}));
}

}  // namespace tcplab::packet
