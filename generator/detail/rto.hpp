#pragma once
// RtoEstimator: the retransmission timeout of RFC 6298 with Linux's bounds. Before the first RTT
// sample the RTO is 1 s (RFC 6298 2.1, what Linux uses for a SYN); each expiry doubles it
// (exponential backoff, capped); a sample (never from a retransmitted segment: Karn) sets
// SRTT/RTTVAR and RTO = SRTT + max(G, 4*RTTVAR), clamped to [200 ms, 120 s] like Linux.
#include <chrono>

namespace tcplab::gen {

class RtoEstimator {
public:
    using Duration = std::chrono::microseconds;
    static constexpr Duration kInitial = std::chrono::seconds(1);
    static constexpr Duration kMin = std::chrono::milliseconds(200);
    static constexpr Duration kMax = std::chrono::seconds(120);
    static constexpr Duration kGranularity = std::chrono::milliseconds(1);

    Duration rto() const { return rto_; }
    bool has_sample() const { return has_sample_; }
    Duration srtt() const { return srtt_; }

    void on_rtt_sample(Duration rtt);
    // Timer expired: double the RTO (up to kMax).
    void back_off();
    // New data was acknowledged: drop the backoff and return to the estimate (as Linux does on
    // forward progress), so a few losses in a row do not leave the timer at seconds.
    void reset_backoff();

private:
    Duration rto_ = kInitial;
    Duration srtt_{0};
    Duration rttvar_{0};
    bool has_sample_ = false;
};

}  // namespace tcplab::gen
