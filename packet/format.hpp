#pragma once
// Wireshark-style text: "0x012 (SYN, ACK)" and info-column lines such as
// "35258 → 80 [SYN] Seq=0 Win=64800 Len=0 MSS=1440 SACK_PERM TSval=1 TSecr=0 WS=128".
#include <cstdint>
#include <string>

#include "packet/tcp.hpp"

namespace tcplab::packet {

// "SYN, ACK" in Wireshark's order (AE/Reserved... CWR, ECE, URG, ACK, PSH, RST, SYN, FIN
// shown as [FIN, ACK] etc. in the info column: Wireshark lists set flags low-to-high by name).
std::string flag_names(std::uint16_t flags);
// "0x012 (SYN, ACK)"
std::string flags_hex(std::uint16_t flags);
// "MSS=1440 SACK_PERM TSval=1 TSecr=0 WS=128" (WS shown as the multiplier, as Wireshark does).
std::string options_summary(const TcpOptions& options);

struct InfoLine {
    std::uint32_t seq = 0;  // relative or raw, as the caller wants shown
    std::uint32_t ack = 0;
    std::uint32_t payload_length = 0;
    std::uint32_t window = 0;  // as the caller wants shown (raw or scaled)
};
// "35258 → 80 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0 MSS=1460 SACK_PERM TSval=.. TSecr=.. WS=128"
std::string info_line(const TcpHeader& tcp, const InfoLine& shown);

}  // namespace tcplab::packet
