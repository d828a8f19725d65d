// The per-packet path: dissect() of one captured frame for every link type the analyzer and the
// forwarder accept (the first input byte picks it; with its top bit set, dissect_innermost()
// through the tunnels, the analyzer's entry), then the text the reports build from a TCP header.
// Both must reject anything malformed with a ParseError, never read out of bounds. The analyzer's
// in-place variant must agree with dissect_innermost() whatever frame it held before.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "packet/dissect.hpp"
#include "packet/format.hpp"
#include "packet/link.hpp"

namespace {

using tcplab::packet::LinkType;

constexpr std::array kLinks{LinkType::null_loopback, LinkType::ethernet,  LinkType::raw,
                            LinkType::loop,          LinkType::linux_sll, LinkType::ipv4,
                            LinkType::ipv6,          LinkType::linux_sll2};

// Invariants every accepted frame must satisfy: the offsets the analyzer slices with are inside
// the frame (a violation is a bug even when nothing crashed yet).
void check(const tcplab::packet::Dissected& d, std::size_t size) {
    if (d.ip_offset > size || d.transport_offset > size) std::abort();
    if (d.is_tcp && d.tcp_payload_offset + d.captured_payload > size) std::abort();
}

// The analyzer's entry reuses one Dissected from frame to frame (dissect_innermost_into): after
// whatever the earlier inputs left in it, it must read this frame as a fresh one does.
void check_reused(LinkType link, std::span<const std::uint8_t> frame,
                  const tcplab::packet::Result<tcplab::packet::Dissected>& fresh) {
    static tcplab::packet::Dissected reused;
    const auto error = tcplab::packet::dissect_innermost_into(link, frame, reused);
    if (error.has_value() == fresh.ok()) std::abort();
    if (!fresh.ok()) return;
    const auto& f = *fresh;
    if (reused.ip_version != f.ip_version || reused.tunnels != f.tunnels ||
        reused.is_tcp != f.is_tcp)
        std::abort();
    if (f.ip_version != 0 &&
        (reused.src != f.src || reused.protocol != f.protocol ||
         reused.transport_offset != f.transport_offset ||
         reused.transport_length != f.transport_length || reused.is_fragment != f.is_fragment))
        std::abort();
    if (!f.is_tcp) return;
    const auto& a = reused.tcp.options;
    const auto& b = f.tcp.options;
    if (reused.tcp.seq != f.tcp.seq || reused.captured_payload != f.captured_payload ||
        a.mss != b.mss || a.window_scale != b.window_scale || a.timestamps != b.timestamps ||
        a.sack_permitted != b.sack_permitted || a.sack_block_count != b.sack_block_count ||
        a.unknown != b.unknown)
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::uint8_t> frame(data + 1, size - 1);
    const std::size_t pick = (data[0] & 0x7Fu) % (kLinks.size() + 1);
    const bool innermost = (data[0] & 0x80u) != 0;
    const auto result = pick == kLinks.size()
                            ? tcplab::packet::dissect_ip(frame)
                            : (innermost ? tcplab::packet::dissect_innermost(kLinks[pick], frame)
                                         : tcplab::packet::dissect(kLinks[pick], frame));
    if (innermost && pick != kLinks.size()) check_reused(kLinks[pick], frame, result);
    if (!result.ok()) return 0;
    check(*result, frame.size());
    if (result->is_tcp) {
        const auto& tcp = result->tcp;
        (void)tcplab::packet::flags_hex(tcp.flags);
        (void)tcplab::packet::info_line(
            tcp, {tcp.seq.raw(), tcp.ack.raw(), result->tcp_payload_length, tcp.window});
    }
    return 0;
}
