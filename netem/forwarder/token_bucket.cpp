#include "netem/forwarder/detail/token_bucket.hpp"

#include <algorithm>
#include <cmath>

#include "base/errors.hpp"

namespace tcplab::netem {

TokenBucket::TokenBucket(std::uint64_t rate_bps, std::uint32_t burst_bytes)
    : rate_bps_(rate_bps), burst_(burst_bytes), tokens_(burst_bytes) {
    if (rate_bps == 0) {
        throw UsageError("rate: a token bucket needs a rate above 0 bit/s");
    }
}

void TokenBucket::refill(std::int64_t now_ns) {
    if (!started_) {
        started_ = true;
        last_ns_ = now_ns;
        return;
    }
    if (now_ns > last_ns_) {
        const double bytes_per_ns = static_cast<double>(rate_bps_) / 8e9;
        tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ns - last_ns_) * bytes_per_ns);
        last_ns_ = now_ns;
    }
}

std::int64_t TokenBucket::reserve(std::int64_t now_ns, std::uint32_t bytes) {
    refill(now_ns);
    tokens_ -= bytes;
    if (tokens_ >= 0) {
        return now_ns;
    }
    const double ns_per_byte = 8e9 / static_cast<double>(rate_bps_);
    return now_ns + static_cast<std::int64_t>(std::ceil(-tokens_ * ns_per_byte));
}

}  // namespace tcplab::netem
