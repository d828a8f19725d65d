#pragma once
// Pacer: how many packets a sender may send now to hold a fixed rate. Packet k is due at
// start + k / rate; the pacer answers "how many are due" (capped at one batch), and when none
// is, how long until the next. After a stall (the thread was descheduled) it catches up in
// batch-sized steps, so the average rate over the run holds. rate 0 means "as fast as possible".
#include <chrono>
#include <cstdint>

namespace tcplab::gen {

class Pacer {
public:
    using Clock = std::chrono::steady_clock;

    Pacer(double rate_pps, Clock::time_point start) : rate_(rate_pps), start_(start) {}

    // Packets that may go now, at most `batch`. Call sent(n) after sending.
    std::uint32_t due(Clock::time_point now, std::uint32_t batch) const;
    void sent(std::uint64_t n) { sent_ += n; }
    // Time until the next packet is due (zero if one is due now).
    Clock::duration wait(Clock::time_point now) const;
    std::uint64_t total_sent() const { return sent_; }

private:
    double rate_;
    Clock::time_point start_;
    std::uint64_t sent_ = 0;
};

}  // namespace tcplab::gen
