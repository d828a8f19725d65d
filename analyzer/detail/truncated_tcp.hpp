#pragma once
// A TCP header cut short by the snaplen (options or even the last bytes of the fixed header
// missing). packet::dissect() rightly refuses it, but tshark still reads seq/ack/flags/window and
// runs its analysis with the length taken from the IP header, so we do the same here.
#include <optional>
#include <span>

#include "packet/dissect.hpp"
#include "packet/link.hpp"

namespace tcplab::analyzer {

// The frame's TCP view when at least the first 16 bytes of the TCP header (through the window)
// were captured; options are parsed from what is present (none if they are cut mid-option).
std::optional<packet::Dissected> dissect_truncated_tcp(packet::LinkType link,
                                                       std::span<const std::uint8_t> frame);

// pcap_datalink() gives DLT_ values; a few differ from the LINKTYPE_ values in the file header
// (DLT_RAW is 12 on Linux, 14 on OpenBSD, LINKTYPE_RAW is 101). Returns the LINKTYPE_ value.
std::uint32_t linktype_from_dlt(int dlt);

}  // namespace tcplab::analyzer
