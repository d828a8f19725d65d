#include "netem/forwarder/detail/fault_decider.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/hash.hpp"
#include "packet/seq_num.hpp"
#include "packet/tcp.hpp"

namespace tcplab::netem {

namespace {

// Purposes: each decision draws its own number so adding one fault never shifts another's draw.
enum Purpose : std::uint32_t {
    kLoss = 1,
    kGeState,
    kDuplicate,
    kCorrupt,
    kCorruptBits,
    kReorder,
    kDelay,
    kDelay2,
    kDuplicateDelay,
    kDuplicateDelay2,
};

constexpr std::size_t kMaxTrackedIdentities = 1u << 20;

std::string percent_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g%%", v);
    return buf;
}

}  // namespace

double fault_uniform(std::uint64_t seed, Direction dir, std::uint64_t identity,
                     std::uint32_t occurrence, std::uint32_t purpose) {
    std::uint64_t h = mix64(seed);
    h = hash_combine(h, static_cast<std::uint64_t>(dir) + 1);
    h = hash_combine(h, identity);
    h = hash_combine(h, (std::uint64_t{occurrence} << 32) | purpose);
    return static_cast<double>(h >> 11) * 0x1.0p-53;  // 53 random bits -> [0, 1)
}

double inverse_normal_cdf(double p) {
    // Acklam's rational approximation (relative error < 1.2e-9), enough for delay tables.
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                   -2.759285104469687e+02, 1.383577518672690e+02,
                                   -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                   -1.556989798598866e+02, 6.680131188771972e+01,
                                   -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                   -2.400758277161838e+00, -2.549732539343734e+00,
                                   4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};
    p = std::clamp(p, 1e-12, 1.0 - 1e-12);
    constexpr double kLow = 0.02425;
    if (p < kLow) {
        const double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - kLow) {
        const double q = std::sqrt(-2 * std::log(1 - p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    const double q = p - 0.5;
    const double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double standard_sample(DelayDistribution dist, double u, double u2) {
    // Pareto(alpha = 3, x_m = 1): mean 1.5, sd sqrt(3)/2 (iproute2's pareto table uses alpha 3).
    auto pareto = [](double v) {
        const double x = 1.0 / std::cbrt(std::max(1.0 - v, 1e-12));
        return (x - 1.5) / (std::sqrt(3.0) / 2);
    };
    switch (dist) {
        case DelayDistribution::normal:
            return inverse_normal_cdf(u);
        case DelayDistribution::pareto:
            return pareto(u);
        case DelayDistribution::paretonormal:
            // Independent parts (u drives the normal, u2 the pareto), variance 0.25^2 + 0.75^2.
            return (0.25 * inverse_normal_cdf(u) + 0.75 * pareto(u2)) / std::sqrt(0.625);
        case DelayDistribution::none:
        case DelayDistribution::uniform:
            break;
    }
    return 2 * u - 1;
}

double FaultDecider::Correlated::next(double u) {
    if (rho <= 0) {
        return u;
    }
    last = (1 - rho) * u + rho * last;
    return last;
}

FaultDecider::FaultDecider(std::uint64_t seed, Direction dir, const DirectionImpairment& model)
    : seed_(seed), dir_(dir), model_(model) {
    loss_cor_.rho = model.loss_correlation / 100;
    dup_cor_.rho = 0;
    corrupt_cor_.rho = 0;
    reorder_cor_.rho = model.reorder_correlation / 100;
    delay_cor_.rho = model.delay_correlation / 100;
    // netem seeds each correlation state with a random `last`; ours comes from the seed.
    loss_cor_.last = fault_uniform(seed, dir, 0, 0, kLoss);
    reorder_cor_.last = fault_uniform(seed, dir, 0, 0, kReorder);
    delay_cor_.last = fault_uniform(seed, dir, 0, 0, kDelay);
    // iproute2 turns `reorder P` without a gap into gap 1 (every packet is a candidate).
    if (model_.reorder_percent > 0 && model_.reorder_gap == 0) {
        model_.reorder_gap = 1;
    }
    const auto& s = model.schedule;
    const bool schedule_empty = s.drop_data_segments.empty() && s.drop_first_syns == 0 &&
                                s.drop_first_synacks == 0 && s.drop_first_fins == 0 &&
                                s.drop_first_pure_acks == 0 && s.drop_windows.empty();
    pass_through_ = schedule_empty && model.loss_percent == 0 && !model.loss_gemodel &&
                    model.delay_ms == 0 && model.jitter_ms == 0 && model.reorder_percent == 0 &&
                    model.duplicate_percent == 0 && model.corrupt_percent == 0;
}

std::uint32_t FaultDecider::occurrence_of(std::uint64_t identity) {
    if (seen_.size() >= kMaxTrackedIdentities) {
        seen_old_ = std::move(seen_);
        seen_.clear();
    }
    auto it = seen_.find(identity);
    if (it == seen_.end()) {
        std::uint32_t previous = 0;
        if (auto old = seen_old_.find(identity); old != seen_old_.end()) {
            previous = old->second;
        }
        it = seen_.emplace(identity, previous).first;
    }
    return it->second++;
}

bool FaultDecider::schedule_drop(const PacketFacts& p, double now_ms, std::string& reason) {
    namespace f = packet::tcp_flag;
    const auto& s = model_.schedule;
    for (const auto& w : s.drop_windows) {
        if (now_ms >= w.start_ms && now_ms < w.end_ms) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "schedule drop-window [%g ms, %g ms)", w.start_ms,
                          w.end_ms);
            reason = buf;
            return true;
        }
    }
    if (!p.is_tcp) {
        return false;
    }
    const std::uint16_t flags = p.tcp_flags;
    const bool syn = (flags & f::kSyn) != 0;
    const bool ack = (flags & f::kAck) != 0;
    const bool fin = (flags & f::kFin) != 0;
    const bool rst = (flags & f::kRst) != 0;
    // Counters advance for every matching packet, dropped or not, so "#N" is the Nth on the wire.
    auto hit = [&](std::uint32_t& counter, std::uint32_t limit, const char* name) {
        ++counter;
        if (counter <= limit) {
            reason = std::string("schedule ") + name + " #" + std::to_string(counter);
            return true;
        }
        return false;
    };
    bool drop = false;
    if (syn && !ack) {
        drop = hit(syns_, s.drop_first_syns, "drop-syn");
    } else if (syn && ack) {
        drop = hit(synacks_, s.drop_first_synacks, "drop-synack");
    }
    if (fin) {
        drop = hit(fins_, s.drop_first_fins, "drop-fin") || drop;
    }
    if (ack && !syn && !fin && !rst && p.payload_length == 0) {
        drop = hit(pure_acks_, s.drop_first_pure_acks, "drop-pure-ack") || drop;
    }
    if (p.payload_length > 0) {
        const std::uint32_t end = p.seq + p.payload_length;
        auto it = flow_data_end_.find(p.flow);
        const bool first_transmission =
            it == flow_data_end_.end() || packet::SeqNum(end) > packet::SeqNum(it->second);
        if (first_transmission) {
            flow_data_end_[p.flow] = end;
            ++data_segments_;
            if (std::find(s.drop_data_segments.begin(), s.drop_data_segments.end(),
                          data_segments_) != s.drop_data_segments.end()) {
                reason = "schedule drop-data-segment #" + std::to_string(data_segments_);
                drop = true;
            }
        }
    }
    return drop;
}

bool FaultDecider::random_loss(double u_loss, double u_state, std::string& reason) {
    if (model_.loss_gemodel) {
        // netem's loss_gilb_ell: the loss is decided in the current state, then the state moves.
        const auto& ge = *model_.loss_gemodel;
        const bool was_bad = ge_bad_;
        const bool lost = was_bad ? u_loss < ge.one_minus_h / 100 : u_loss < ge.one_minus_k / 100;
        if (was_bad) {
            ge_bad_ = !(u_state < ge.r / 100);
        } else {
            ge_bad_ = u_state < ge.p / 100;
        }
        if (lost) {
            reason = std::string("gemodel loss (") + (was_bad ? "bad" : "good") + " state)";
        }
        return lost;
    }
    if (model_.loss_percent <= 0) {
        return false;
    }
    const double v = loss_cor_.next(u_loss);
    if (v < model_.loss_percent / 100) {
        reason = "random loss " + percent_text(model_.loss_percent);
        return true;
    }
    return false;
}

double FaultDecider::draw_delay(std::uint64_t identity, std::uint32_t occurrence,
                                std::uint32_t salt) {
    if (model_.jitter_ms <= 0) {
        return model_.delay_ms;
    }
    const double u = delay_cor_.next(fault_uniform(seed_, dir_, identity, occurrence, salt));
    const double u2 = fault_uniform(seed_, dir_, identity, occurrence, salt + 1);
    const double d =
        model_.delay_ms + model_.jitter_ms * standard_sample(model_.distribution, u, u2);
    return std::max(0.0, d);
}

Decision FaultDecider::decide(const PacketFacts& p, double now_ms) {
    Decision out;
    if (pass_through_) {
        return out;
    }
    const std::uint32_t occ = occurrence_of(p.identity);
    out.transmission = occ + 1;
    auto u = [&](std::uint32_t purpose) {
        return fault_uniform(seed_, dir_, p.identity, occ, purpose);
    };
    if (schedule_drop(p, now_ms, out.reason)) {
        out.verdict = Verdict::drop;
        return out;
    }
    if (random_loss(u(kLoss), u(kGeState), out.reason)) {
        out.verdict = Verdict::drop;
        return out;
    }
    if (model_.duplicate_percent > 0 &&
        dup_cor_.next(u(kDuplicate)) < model_.duplicate_percent / 100) {
        out.duplicate = true;
        out.duplicate_delay_ms = draw_delay(p.identity, occ, kDuplicateDelay);
    }
    if (model_.corrupt_percent > 0 &&
        corrupt_cor_.next(u(kCorrupt)) < model_.corrupt_percent / 100) {
        out.corrupt = true;
        out.corrupt_bits = mix64(static_cast<std::uint64_t>(u(kCorruptBits) * 0x1.0p53));
    }
    // netem: with a gap, packets inside the gap are delayed; after gap-1 of them the next one is
    // reordered (sent now) with probability `reorder`.
    const bool may_reorder = model_.reorder_gap > 0 && reorder_counter_ + 1 >= model_.reorder_gap;
    if (may_reorder && reorder_cor_.next(u(kReorder)) < model_.reorder_percent / 100) {
        out.reorder = true;
        reorder_counter_ = 0;
        return out;
    }
    ++reorder_counter_;
    out.delay_ms = draw_delay(p.identity, occ, kDelay);
    return out;
}

}  // namespace tcplab::netem
