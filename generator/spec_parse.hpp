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

// "max" -> 0 (as fast as possible), else packets per second > 0.
double parse_rate(std::string_view text, std::string_view flag_name);

// Numeric flags read as `unsigned`, checked into their field's range; flag_name without "--".
std::uint16_t check_u16(unsigned value, std::string_view flag_name);   // 0..65535
std::uint16_t check_port(unsigned value, std::string_view flag_name);  // 1..65535
std::uint8_t check_wscale(unsigned shift);                             // 0..14 (RFC 7323)
std::uint8_t check_ttl(unsigned ttl);                                  // 1..255

// One crafted segment (`gen data|fin|rst`): the flags it gets unless --flags is given, and its
// payload of n pattern bytes (payload_byte(), at most 65000).
std::uint16_t default_segment_flags(std::string_view kind, bool has_ack);
std::vector<std::uint8_t> pattern_payload(unsigned n);

}  // namespace tcplab::gen
