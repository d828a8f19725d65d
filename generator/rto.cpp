#include "generator/detail/rto.hpp"

#include <algorithm>

namespace tcplab::gen {

void RtoEstimator::on_rtt_sample(Duration rtt) {
    if (!has_sample_) {
        srtt_ = rtt;
        rttvar_ = rtt / 2;
        has_sample_ = true;
    } else {
        const Duration delta = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
        rttvar_ = (rttvar_ * 3 + delta) / 4;  // beta = 1/4
        srtt_ = (srtt_ * 7 + rtt) / 8;        // alpha = 1/8
    }
    rto_ = std::clamp(srtt_ + std::max(kGranularity, rttvar_ * 4), kMin, kMax);
}

void RtoEstimator::reset_backoff() {
    rto_ = has_sample_ ? std::clamp(srtt_ + std::max(kGranularity, rttvar_ * 4), kMin, kMax)
                       : kInitial;
}

void RtoEstimator::back_off() { rto_ = std::min(rto_ * 2, kMax); }

}  // namespace tcplab::gen
