#include "generator/detail/transcript.hpp"

#include <cstdio>

#include "packet/format.hpp"

namespace tcplab::gen {

std::string format_segment(const packet::TcpHeader& tcp, std::uint32_t payload_length,
                           Direction direction, const RelativeBase& base,
                           std::uint32_t window_shown, bool retransmission) {
    const bool sent = direction == Direction::sent;
    // A peer segment seen before its SYN (a RST to our SYN): Wireshark numbers it from 1.
    const packet::SeqNum peer_base = base.peer_isn_known ? base.peer_isn : tcp.seq - 1;
    const packet::SeqNum own_seq_base = sent ? base.local_isn : peer_base;
    const packet::SeqNum own_ack_base = sent ? peer_base : base.local_isn;
    packet::InfoLine shown;
    shown.seq = static_cast<std::uint32_t>(tcp.seq - own_seq_base);
    shown.ack =
        tcp.has(packet::tcp_flag::kAck) ? static_cast<std::uint32_t>(tcp.ack - own_ack_base) : 0;
    shown.payload_length = payload_length;
    shown.window = window_shown;
    std::string line = packet::info_line(tcp, shown);
    return retransmission ? "[TCP Retransmission] " + line : line;
}

void Transcript::add(std::chrono::steady_clock::time_point at, Direction direction,
                     std::string line, bool retransmission) {
    if (!started_) {
        start_ = at;
        started_ = true;
    }
    entries_.push_back({std::chrono::duration_cast<std::chrono::microseconds>(at - start_),
                        direction, std::move(line), retransmission});
}

void Transcript::note(std::chrono::steady_clock::time_point at, std::string text) {
    add(at, Direction::sent, "# " + std::move(text), false);
}

std::vector<std::string> Transcript::lines() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) {
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "%lld.%06lld ",
                      static_cast<long long>(e.at.count() / 1000000),
                      static_cast<long long>(e.at.count() % 1000000));
        const bool is_note = e.line.rfind("# ", 0) == 0;
        const char* arrow = is_note ? "   " : (e.direction == Direction::sent ? ">  " : "<  ");
        out.push_back(stamp + std::string(arrow) + e.line);
    }
    return out;
}

}  // namespace tcplab::gen
