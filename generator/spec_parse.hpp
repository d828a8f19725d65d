#pragma once
// Parsers for the generator's command-line values (flags, options, ranges). Each throws
// UsageError naming the flag and the bad text, so `tcplab gen` exits 2 with a clear message.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "packet/ip_address.hpp"
#include "packet/tcp.hpp"

namespace tcplab::gen {

// "SYN,ACK", "fin+ack", "0x012" -> tcp_flag bits. Names: FIN SYN RST PSH ACK URG ECE CWR AE.
std::uint16_t parse_tcp_flags(std::string_view text, std::string_view flag_name);
// "30:0102ab" -> a raw option kind 30 with data 01 02 ab ("30" alone: no data).
packet::TcpOption parse_raw_option(std::string_view text, std::string_view flag_name);
// "1000-2000" -> SACK block (raw sequence numbers).
packet::SackBlock parse_sack_block(std::string_view text, std::string_view flag_name);
// "VAL:ECR" -> timestamps.
packet::TcpTimestamps parse_timestamps(std::string_view text, std::string_view flag_name);
// "40000-40100" (or one port) -> inclusive range.
std::pair<std::uint16_t, std::uint16_t> parse_port_range(std::string_view text,
                                                         std::string_view flag_name);
// An IP address; the message names the flag.
packet::IpAddress parse_address(std::string_view text, std::string_view flag_name);
// "ADDR:PORT" / "[v6]:PORT".
packet::Endpoint parse_endpoint(std::string_view text, std::string_view flag_name);

// "198.18.1.0/28" or "fd7c:1:1::/120": the addresses in it (network and broadcast included for
// IPv4 /31 and /32 only). At most 2^16 addresses are enumerated (the flood cycles through them).
struct AddressRange {
    packet::IpAddress base;
    unsigned prefix = 32;
    std::uint64_t size() const;                       // number of usable addresses, capped 65536
    packet::IpAddress at(std::uint64_t index) const;  // index < size()
};
AddressRange parse_cidr(std::string_view text, std::string_view flag_name);

}  // namespace tcplab::gen
