#include "generator/detail/pacer.hpp"

#include <algorithm>
#include <cmath>

namespace tcplab::gen {

std::uint32_t Pacer::due(Clock::time_point now, std::uint32_t batch) const {
    if (rate_ <= 0) {
        return batch;
    }
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double allowed = std::floor(elapsed * rate_) + 1;  // packet 0 is due at start
    const double owed = allowed - static_cast<double>(sent_);
    if (owed <= 0) {
        return 0;
    }
    return static_cast<std::uint32_t>(std::min<double>(owed, batch));
}

Pacer::Clock::duration Pacer::wait(Clock::time_point now) const {
    if (rate_ <= 0) {
        return Clock::duration::zero();
    }
    const auto next_due =
        start_ + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(sent_) / rate_));
    return next_due > now ? next_due - now : Clock::duration::zero();
}

}  // namespace tcplab::gen
