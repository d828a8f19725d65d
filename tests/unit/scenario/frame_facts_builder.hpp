#pragma once
// Hand-made capture frames for the scenario checks and metrics tests: a client 198.18.1.2:40000
// talking to a server 198.19.1.2:5001.
#include "scenario/vantage.hpp"

namespace tcplab::scenario::testing {

inline const packet::IpAddress kClient = *packet::IpAddress::parse("198.18.1.2");
inline const packet::IpAddress kServer = *packet::IpAddress::parse("198.19.1.2");

inline FrameFacts segment(std::uint64_t frame, double t, bool from_client, std::uint16_t flags,
                          std::uint32_t seq, std::uint32_t len, std::uint32_t verdicts = 0,
                          std::uint32_t ack = 0) {
    FrameFacts f;
    f.frame = frame;
    f.t = t;
    f.src = from_client ? packet::Endpoint{kClient, 40000} : packet::Endpoint{kServer, 5001};
    f.dst = from_client ? packet::Endpoint{kServer, 5001} : packet::Endpoint{kClient, 40000};
    f.protocol = packet::kIpProtoTcp;
    f.tcp_flags = flags;
    f.seq = seq;
    f.len = len;
    f.verdicts = verdicts;
    f.ack = ack;
    return f;
}

}  // namespace tcplab::scenario::testing
