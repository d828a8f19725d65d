#pragma once
// TokenBucket: the rate limit of the userspace backend. Tokens are bytes that refill at the rate
// up to `burst`; a frame that finds too few tokens is not refused but scheduled for the moment
// its tokens will have arrived, and the deficit is carried (tokens go negative). That makes the
// bucket a serializer like netem's `rate`: back-to-back frames leave one transmission time apart,
// and the caller's queue (with its packet limit) holds them until then.
#include <cstdint>

namespace tcplab::netem {

class TokenBucket {
public:
    // rate in bit/s (> 0); burst in bytes (at least one frame, so an idle link sends at once).
    TokenBucket(std::uint64_t rate_bps, std::uint32_t burst_bytes);

    // Reserves `bytes` at time now_ns; returns when the frame may leave (>= now_ns).
    std::int64_t reserve(std::int64_t now_ns, std::uint32_t bytes);

    std::uint64_t rate_bps() const { return rate_bps_; }

private:
    void refill(std::int64_t now_ns);

    std::uint64_t rate_bps_;
    double burst_;
    double tokens_;  // bytes; negative = frames already scheduled ahead
    std::int64_t last_ns_ = 0;
    bool started_ = false;
};

}  // namespace tcplab::netem
