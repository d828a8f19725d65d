#pragma once
// The impairment model: what the path does to packets, per direction. Both backends (tc netem and
// the userspace forwarder) take exactly this; scenario files and CLI flags use the same names
// (see impairment_options.hpp). Percentages are 0..100.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "packet/direction.hpp"

namespace tcplab::netem {

using packet::Direction;
using packet::to_string;  // netem::to_string(Direction) keeps working

// netem's 4-state-free Gilbert-Elliott: p (good->bad), r (bad->good), 1-h (loss in bad),
// 1-k (loss in good), all in percent — `tc ... loss gemodel p r 1-h 1-k`.
struct GilbertElliott {
    double p = 0;
    double r = 100;
    double one_minus_h = 100;
    double one_minus_k = 0;
    friend bool operator==(const GilbertElliott&, const GilbertElliott&) = default;
};

enum class DelayDistribution : std::uint8_t { none, uniform, normal, pareto, paretonormal };
std::string to_string(DelayDistribution d);  // "none", "uniform", "normal", ... (tc's names)

// Faults netem cannot express: exact packets chosen by their identity, not by chance.
struct FaultSchedule {
    std::vector<std::uint32_t>
        drop_data_segments;             // drop the Nth (1-based) data segment, first transmission
    std::uint32_t drop_first_syns = 0;  // pure SYNs
    std::uint32_t drop_first_synacks = 0;
    std::uint32_t drop_first_fins = 0;
    std::uint32_t drop_first_pure_acks = 0;  // ACK flag only, no payload, no SYN/FIN/RST
    struct Window {
        double start_ms = 0;  // relative to the backend's start
        double end_ms = 0;
        friend bool operator==(const Window&, const Window&) = default;
    };
    std::vector<Window> drop_windows;  // drop every packet in [start, end)

    bool empty() const;
    friend bool operator==(const FaultSchedule&, const FaultSchedule&) = default;
};

struct DirectionImpairment {
    double loss_percent = 0;
    double loss_correlation = 0;
    std::optional<GilbertElliott> loss_gemodel;  // replaces loss_percent when set
    double delay_ms = 0;
    double jitter_ms = 0;
    double delay_correlation = 0;
    DelayDistribution distribution = DelayDistribution::none;
    double reorder_percent = 0;  // needs delay_ms > 0 (netem semantics)
    double reorder_correlation = 0;
    std::uint32_t reorder_gap = 0;
    double duplicate_percent = 0;
    double corrupt_percent = 0;
    std::uint64_t rate_bps = 0;       // 0 = unlimited
    std::uint32_t limit_packets = 0;  // 0 = sized automatically from rate x delay
    FaultSchedule schedule;

    bool is_identity() const;  // nothing to do
    friend bool operator==(const DirectionImpairment&, const DirectionImpairment&) = default;
};

struct Impairment {
    DirectionImpairment client_to_server;
    DirectionImpairment server_to_client;
    std::uint64_t seed = 1;

    const DirectionImpairment& get(Direction d) const {
        return d == Direction::client_to_server ? client_to_server : server_to_client;
    }
};

// Checks for settings that do nothing or cannot work (reorder without delay, a correlation
// without its base rate, percentages outside 0..100, jitter larger than delay with no
// distribution...). Returns the problems in plain words naming the option; empty = valid.
std::vector<std::string> validate(const Impairment& impairment);

}  // namespace tcplab::netem
