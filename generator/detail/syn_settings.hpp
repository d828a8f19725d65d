#pragma once
// SynSettings: what a crafted connection-opening SYN is made of — the 4-tuple, ISN, the options
// (MSS, window scale, SACK_PERM, timestamps, in Linux's order), window and TTL. Shared by the port
// probe (`gen syn`) and the user-space client (`gen handshake`), which add their own behaviour.
#include <cstdint>
#include <optional>

#include "packet/ip_address.hpp"

namespace tcplab::gen {

struct SynSettings {
    packet::IpAddress src;               // local address (same family as dst)
    packet::Endpoint dst;                // e.g. 198.19.1.2:8080 or [fd7c:1:2::2]:8080
    std::optional<std::uint16_t> sport;  // random in 32768-60999 when unset
    std::optional<std::uint32_t> isn;    // random when unset
    std::uint16_t mss = 1460;            // MSS option (always sent)
    std::optional<std::uint8_t> wscale;  // window-scale option
    bool sack = false;                   // SACK_PERM option
    bool timestamps = false;             // timestamps option
    std::uint16_t window = 64240;        // window field
    std::uint8_t ttl = 64;               // IP TTL / hop limit
};

}  // namespace tcplab::gen
