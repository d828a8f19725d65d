#pragma once
// Transcript: what the user-space client sent and received, one line per segment in Wireshark's
// info-column style with relative sequence numbers, e.g.
//   0.000000 >  40000 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM WS=128
//   0.000101 <  80 → 40000 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0 MSS=1460 SACK_PERM WS=128
//   1.000342 >  [TCP Retransmission] 40000 → 80 [SYN] Seq=0 Win=64240 Len=0 ...
// ">" is a segment we sent, "<" one we received. Our own retransmissions are marked the way
// Wireshark marks them, so the transcript can be laid next to a capture.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "packet/seq_num.hpp"
#include "packet/tcp.hpp"

namespace tcplab::gen {

enum class Direction : std::uint8_t { sent, received };

// Relative numbering for one connection: seq/ack shown relative to each side's ISN (the first
// shown sequence number of a side is 0 on its SYN, 1 after it), as Wireshark does by default.
struct RelativeBase {
    packet::SeqNum local_isn;
    packet::SeqNum peer_isn;
    bool peer_isn_known = false;
};

struct TranscriptEntry {
    std::chrono::microseconds at{0};  // since the first segment
    Direction direction = Direction::sent;
    std::string line;  // formatted, without the time/direction prefix
    bool retransmission = false;
};

// Formats one segment's info line. `window_shown` is the (scaled, where known) window to print.
std::string format_segment(const packet::TcpHeader& tcp, std::uint32_t payload_length,
                           Direction direction, const RelativeBase& base,
                           std::uint32_t window_shown, bool retransmission);

class Transcript {
public:
    void add(std::chrono::steady_clock::time_point at, Direction direction, std::string line,
             bool retransmission);
    void note(std::chrono::steady_clock::time_point at, std::string text);  // "# timeout ..." lines
    const std::vector<TranscriptEntry>& entries() const { return entries_; }
    // "0.000000 >  40000 → 80 [SYN] ..." per entry.
    std::vector<std::string> lines() const;

private:
    std::vector<TranscriptEntry> entries_;
    std::chrono::steady_clock::time_point start_{};
    bool started_ = false;
};

}  // namespace tcplab::gen
