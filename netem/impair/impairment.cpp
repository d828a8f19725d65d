#include "netem/impair/impairment.hpp"

#include <cmath>

namespace tcplab::netem {

std::string to_string(DelayDistribution d) {
    switch (d) {
        case DelayDistribution::none:
            return "none";
        case DelayDistribution::uniform:
            return "uniform";
        case DelayDistribution::normal:
            return "normal";
        case DelayDistribution::pareto:
            return "pareto";
        case DelayDistribution::paretonormal:
            return "paretonormal";
    }
    return "none";
}

bool FaultSchedule::empty() const {
    return drop_data_segments.empty() && drop_first_syns == 0 && drop_first_synacks == 0 &&
           drop_first_fins == 0 && drop_first_pure_acks == 0 && drop_windows.empty();
}

bool DirectionImpairment::is_identity() const {
    // limit_packets and distribution alone change nothing a packet experiences.
    return loss_percent == 0 && !loss_gemodel.has_value() && delay_ms == 0 && jitter_ms == 0 &&
           reorder_percent == 0 && duplicate_percent == 0 && corrupt_percent == 0 &&
           rate_bps == 0 && schedule.empty();
}

namespace {

// Collects problems for one direction; every message names the option as the user typed it.
class Checker {
public:
    Checker(std::string prefix, std::vector<std::string>& out)
        : prefix_(std::move(prefix)), out_(out) {}

    void percent(const char* key, double value) {
        if (!std::isfinite(value) || value < 0 || value > 100) {
            fail(key, "must be a percentage in 0..100, got " + number(value));
        }
    }
    void non_negative(const char* key, double value) {
        if (!std::isfinite(value) || value < 0) {
            fail(key, "must be >= 0, got " + number(value));
        }
    }
    void fail(const char* key, const std::string& why) {
        out_.push_back(prefix_ + key + ": " + why);
    }

private:
    static std::string number(double v) {
        std::string s = std::to_string(v);
        while (s.size() > 1 && s.back() == '0') {
            s.pop_back();
        }
        if (!s.empty() && s.back() == '.') {
            s.pop_back();
        }
        return s;
    }
    std::string prefix_;
    std::vector<std::string>& out_;
};

void validate_direction(const DirectionImpairment& d, const std::string& prefix,
                        std::vector<std::string>& out) {
    Checker c(prefix, out);
    c.percent("loss", d.loss_percent);
    c.percent("loss-correlation", d.loss_correlation);
    c.non_negative("delay", d.delay_ms);
    c.non_negative("jitter", d.jitter_ms);
    c.percent("delay-correlation", d.delay_correlation);
    c.percent("reorder", d.reorder_percent);
    c.percent("reorder-correlation", d.reorder_correlation);
    c.percent("duplicate", d.duplicate_percent);
    c.percent("corrupt", d.corrupt_percent);

    if (d.loss_gemodel) {
        const auto& ge = *d.loss_gemodel;
        c.percent("loss-gemodel (p)", ge.p);
        c.percent("loss-gemodel (r)", ge.r);
        c.percent("loss-gemodel (1-h)", ge.one_minus_h);
        c.percent("loss-gemodel (1-k)", ge.one_minus_k);
        if (d.loss_percent > 0) {
            c.fail("loss-gemodel", "cannot be combined with loss (choose one loss model)");
        }
        if (d.loss_correlation > 0) {
            c.fail("loss-correlation",
                   "has no meaning with loss-gemodel (its states carry the correlation)");
        }
        if (ge.p == 0 && ge.one_minus_k == 0) {
            c.fail("loss-gemodel",
                   "p=0 and 1-k=0 never lose a packet (the chain never leaves the good state)");
        }
    } else if (d.loss_correlation > 0 && d.loss_percent == 0) {
        c.fail("loss-correlation", "does nothing without loss > 0");
    }

    if (d.jitter_ms > 0 && d.delay_ms == 0) {
        c.fail("jitter", "does nothing without delay > 0");
    }
    if (d.delay_correlation > 0 && d.jitter_ms == 0) {
        c.fail("delay-correlation", "does nothing without jitter > 0");
    }
    if (d.distribution != DelayDistribution::none && d.jitter_ms == 0) {
        c.fail("distribution", "does nothing without jitter > 0");
    }
    if (d.distribution == DelayDistribution::none && d.jitter_ms > d.delay_ms) {
        c.fail("jitter",
               "is larger than delay: negative delays would be clamped to 0 and the "
               "distribution skewed; lower jitter or choose a distribution");
    }

    if (d.reorder_percent > 0 && d.delay_ms == 0) {
        c.fail("reorder",
               "does nothing without delay > 0 (reordered packets are those sent "
               "without the delay)");
    }
    if (d.reorder_correlation > 0 && d.reorder_percent == 0) {
        c.fail("reorder-correlation", "does nothing without reorder > 0");
    }
    if (d.reorder_gap > 0 && d.reorder_percent == 0) {
        c.fail("reorder-gap", "does nothing without reorder > 0");
    }
    if (d.limit_packets > 0 && d.delay_ms == 0 && d.rate_bps == 0) {
        c.fail("limit", "does nothing without delay or rate (no queue builds up)");
    }

    for (auto n : d.schedule.drop_data_segments) {
        if (n == 0) {
            c.fail("drop-data-segment", "is 1-based, 0 names no segment");
        }
    }
    for (const auto& w : d.schedule.drop_windows) {
        if (!std::isfinite(w.start_ms) || !std::isfinite(w.end_ms) || w.start_ms < 0 ||
            w.end_ms <= w.start_ms) {
            c.fail("drop-window", "needs 0 <= START_MS < END_MS");
        }
    }
}

}  // namespace

std::vector<std::string> validate(const Impairment& impairment) {
    std::vector<std::string> problems;
    validate_direction(impairment.client_to_server, "c2s.", problems);
    validate_direction(impairment.server_to_client, "s2c.", problems);
    return problems;
}

}  // namespace tcplab::netem
