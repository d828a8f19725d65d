#pragma once
// FaultDecider: the seeded, reproducible decisions of the userspace backend, per direction.
//
// Reproducibility contract. Every random number the decider uses is
//     uniform(seed, direction, identity, occurrence, purpose)
// i.e. a splitmix64-style hash of the run's seed, the direction, the packet's identity (for TCP:
// the flow's order of appearance in this direction, the sequence number relative to the flow's
// first one, flags and payload length, and for a pure ACK the relative ack; otherwise the flow's
// order and a hash of the payload — never ephemeral ports, ISNs, IP ids or timestamps, which
// change from run to run; netem/forwarder/detail/packet_names.hpp computes it), how many times that
// identity was already seen in this direction (so an identical retransmission gets a fresh draw),
// and what the number is for (loss, duplicate, corrupt, ...). Nothing depends on wall-clock time or
// on a PRNG stream, so the same seed drops the same segments even when timing shifts or unrelated
// packets (ARP, a late duplicate ACK) come and go. The two exceptions are the stateful netem
// models, which by definition depend on the previous packet of the direction: correlation (next =
// (1-rho)*U + rho*last, netem's get_crandom) and the Gilbert-Elliott state; both are still a pure
// function of the seed and the sequence of packet identities.
//
// Semantics follow sch_netem: loss is decided first (Gilbert-Elliott replaces the random model),
// then duplication (the copy is not lost again), corruption, and reordering with a gap (every
// gap-th packet may be sent at once, the others are delayed). The deterministic FaultSchedule is
// applied before any random fault.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "netem/impair/impairment.hpp"

namespace tcplab::netem {

// What the decider needs to know about one packet (built from packet::dissect by the caller).
// Deliberately not a packet::PacketRecord: it holds the packet's run-independent name instead of
// its addresses, ports, raw ack and IP id, so no decision can depend on what changes between two
// runs of the same seed (the reproducibility contract above).
struct PacketFacts {
    std::uint64_t identity =
        0;  // see netem/forwarder/detail/packet_names.hpp; equal for identical retransmissions
    bool is_tcp = false;
    std::uint16_t tcp_flags = 0;       // packet::tcp_flag bits
    std::uint32_t seq = 0;             // raw TCP sequence number
    std::uint32_t payload_length = 0;  // TCP payload bytes
    std::uint64_t flow = 0;  // hash of the 4-tuple (direction-specific), for data counting
};

// A uniform double in [0, 1) from the five inputs of the contract above.
double fault_uniform(std::uint64_t seed, Direction dir, std::uint64_t identity,
                     std::uint32_t occurrence, std::uint32_t purpose);

// Standardised (mean 0, sd 1) sample of netem's delay distributions from a uniform u in (0,1):
// normal = inverse normal CDF; pareto = Pareto(alpha 3) shifted and scaled; paretonormal =
// 0.25 normal + 0.75 pareto (iproute2's mix), rescaled. uniform/none -> uniform on [-1, 1)
// (netem without a table: jitter is uniform in [delay-jitter, delay+jitter)).
double standard_sample(DelayDistribution dist, double u, double u2);
double inverse_normal_cdf(double p);

enum class Verdict : std::uint8_t { forward, drop };

struct Decision {
    Verdict verdict = Verdict::forward;
    std::string reason;  // for a drop: "random loss 30%", "schedule drop-syn #1", ...
    bool duplicate = false;
    bool corrupt = false;
    std::uint64_t corrupt_bits = 0;  // uniform bits used to pick the byte and the bit to flip
    bool reorder = false;            // sent at once, ahead of delayed packets (netem reorder)
    double delay_ms = 0;             // extra delay (0 when reorder)
    double duplicate_delay_ms = 0;   // the copy's own delay draw
    std::uint32_t transmission = 0;  // 1 for the first copy of this identity, 2 for the next, ...
};

class FaultDecider {
public:
    FaultDecider(std::uint64_t seed, Direction dir, const DirectionImpairment& model);

    // now_ms: time since the backend started (for schedule windows only).
    Decision decide(const PacketFacts& packet, double now_ms);

    // True when the model does nothing at all (the forwarder then skips the decider).
    bool is_pass_through() const { return pass_through_; }

private:
    struct Correlated {
        double rho = 0;  // 0..1
        double last = 0;
        double next(double u);
    };
    std::uint32_t occurrence_of(std::uint64_t identity);
    bool schedule_drop(const PacketFacts& p, double now_ms, std::string& reason);
    bool random_loss(double u_loss, double u_state, std::string& reason);
    double draw_delay(std::uint64_t identity, std::uint32_t occurrence, std::uint32_t salt);

    std::uint64_t seed_;
    Direction dir_;
    DirectionImpairment model_;
    bool pass_through_ = false;

    Correlated loss_cor_, dup_cor_, corrupt_cor_, reorder_cor_, delay_cor_;
    bool ge_bad_ = false;                // Gilbert-Elliott state
    std::uint32_t reorder_counter_ = 0;  // packets since the last reordered one (netem counter)

    // Occurrence counts by identity. Two generations bound memory on long runs: when the current
    // map is full it becomes the old one; a retransmission minutes later is then counted afresh,
    // which changes nothing for reproducibility (it is still a function of the packet sequence).
    std::unordered_map<std::uint64_t, std::uint32_t> seen_, seen_old_;

    // Schedule counters (per direction, across flows).
    std::uint32_t syns_ = 0, synacks_ = 0, fins_ = 0, pure_acks_ = 0, data_segments_ = 0;
    // Per flow, the end (seq + len) of the highest data sent so far: a segment ending beyond it
    // carries new data, i.e. is a first transmission; one ending at or below it is a
    // retransmission.
    std::unordered_map<std::uint64_t, std::uint32_t> flow_data_end_;
};

}  // namespace tcplab::netem
