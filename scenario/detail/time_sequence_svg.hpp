#pragma once
// A Stevens-style time-sequence graph of one TCP stream as a standalone SVG: sequence number
// (relative) against time; data segments as short vertical bars, retransmissions in red, the
// peer's cumulative ACK as a step line, and segments the path dropped marked with an X.
#include <cstdint>
#include <string>
#include <vector>

namespace tcplab::scenario {

struct SeqPoint {
    enum class Kind : std::uint8_t { data, retransmission, ack, drop };
    double t = 0;           // seconds from the first point
    std::uint64_t seq = 0;  // relative sequence (ack number for Kind::ack)
    std::uint32_t len = 0;
    Kind kind = Kind::data;
};

std::string time_sequence_svg(const std::string& title, const std::vector<SeqPoint>& points);

}  // namespace tcplab::scenario
