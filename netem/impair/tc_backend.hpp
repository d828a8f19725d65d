#pragma once
// The `tc` impairment backend: the model becomes one `tc qdisc replace ... root netem ...` per
// direction on the router's egress (c2s on veth-rs, s2c on veth-rc) plus, for the deterministic
// schedules netem cannot express, nftables rules in the router's forward hook.
//
// Translation rules (each one unit-tested in tests/unit/netem/tc_*):
//  - `limit` is sized so netem never drops on its own: every packet that can arrive while the
//    oldest one is still held (delay + 4 x jitter at the line rate, 64-byte frames) plus a
//    backlog allowance when `rate` makes a queue build up. An explicit, smaller limit is honoured
//    with a note.
//  - netem's `seed` (kernel >= 6.7 and iproute2 >= 6.7) is passed only when TcFeatures says both
//    support it; otherwise a note says the random choices are not reproducible under tc.
//  - drop-syn / drop-synack / drop-fin / drop-pure-ack: an nft chain per (direction, kind) whose
//    only rule is `numgen inc mod 1000000000 lt K counter drop`: numgen counts the packets that
//    reach it, so exactly the first K matching packets are dropped, retransmissions included.
//    Where nf_tables lacks the inet family (the UML guest behind --vm), apply() falls back to the
//    same schedules as iptables-legacy rules (iptables_schedule.hpp), and says so in notes().
//  - drop-data-segment / drop-window are refused (UsageError): "the Nth first transmission"
//    needs per-flow state and a time window needs a clock; both need the userspace backend.
//
// Counters: after a run, read_stats() parses `tc -s -j qdisc show` and `nft -j list table`.
// Queue drops and injected loss share netem's one `drops` counter; a direction without a loss
// model reports them as queue drops, a direction with one reports netem drops as injected loss
// with the caveat that the limit was sized not to overflow (queue_drops_separable = false).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/command.hpp"
#include "netem/impair/impairment.hpp"

namespace tcplab::netem {

struct TcFeatures {
    bool netem_seed = false;  // `tc ... netem seed N` accepted and honoured
};

inline constexpr std::uint64_t kAssumedLineRateBps = 10'000'000'000ULL;  // veth: ~10 Gbit/s
inline constexpr std::uint32_t kMinFrameBytes = 64;
inline constexpr std::uint32_t kRateBacklogPackets = 131072;  // > any TCP window in the lab
inline constexpr std::uint32_t kNetemDefaultLimit = 1000;
inline constexpr std::uint32_t kMaxLimit = 50'000'000;

// The router egress device carrying direction d (in the tl<N>-rtr namespace).
const std::string& egress_interface(Direction d);

// The limit that keeps netem from ever dropping on its own for this direction's settings.
std::uint32_t netem_limit_for(const DirectionImpairment& d);

// `tc -n NS qdisc replace dev DEV root netem ...`. Notes about what could not be honoured are
// appended to *notes (may be null).
Argv netem_qdisc_argv(const std::string& router_netns, const std::string& device,
                      const DirectionImpairment& d, std::uint64_t seed, const TcFeatures& features,
                      std::vector<std::string>* notes);

// nft commands (each an argv run with `ip netns exec NS`) for the schedules of both directions;
// empty when there is no schedule. Throws UsageError for schedules nftables cannot express.
std::vector<Argv> nft_schedule_commands(const std::string& router_netns,
                                        const Impairment& impairment);

struct NetemCounters {
    bool present = false;  // a netem qdisc was found on the device
    std::uint64_t sent_packets = 0;
    std::uint64_t sent_bytes = 0;
    std::uint64_t drops = 0;
    std::uint64_t overlimits = 0;
    std::uint64_t requeues = 0;
    std::uint64_t backlog_bytes = 0;
    std::uint64_t qlen = 0;
    std::uint64_t limit = 0;
    std::optional<std::uint64_t> seed;  // as reported by the kernel (>= 6.7)
};
// Parses `tc -s -j qdisc show dev DEV` (the root netem qdisc). Throws SystemError on bad JSON.
NetemCounters parse_netem_stats(const std::string& tc_json);
// Parses `nft -j list table inet tcplab`: packets dropped per schedule chain ("c2s_syn" -> n).
std::vector<std::pair<std::string, std::uint64_t>> parse_schedule_counters(
    const std::string& nft_json);

struct TcDirectionStats {
    Direction direction = Direction::client_to_server;
    NetemCounters netem;
    std::uint64_t injected_loss = 0;    // netem drops attributed to the loss model
    std::uint64_t queue_drops = 0;      // netem drops with no loss model configured
    bool queue_drops_separable = true;  // false when a loss model shares the counter
    std::uint64_t schedule_drops = 0;   // packets dropped by the nft schedule rules
};

// How the deterministic schedules are installed: nftables first; iptables-legacy when the kernel's
// nf_tables refuses the inet table (or nft cannot run).
enum class ScheduleMechanism { nftables, iptables_legacy };
std::string to_string(ScheduleMechanism m);  // "nftables" / "iptables-legacy"

struct TcRunStats {
    TcDirectionStats client_to_server;
    TcDirectionStats server_to_client;
};

class TcBackend {
public:
    // run_id names the router namespace (tl<N>-rtr). Throws UsageError when the model is invalid
    // or holds a schedule nftables cannot express — before anything is changed.
    TcBackend(int run_id, Impairment impairment, TcFeatures features = {},
              CommandRunner* runner = nullptr);

    // Every command apply() runs, in order (for --dry-run and tests), with the schedules in the
    // form schedule_mechanism() names: after apply(), the one that was really installed.
    std::vector<Argv> commands() const;
    ScheduleMechanism schedule_mechanism() const { return mechanism_; }
    // Notes on what could not be honoured (seed, small explicit limit).
    const std::vector<std::string>& notes() const { return notes_; }
    // Installs the qdiscs and rules, then checks with `tc qdisc show` that netem is in place.
    // (Nothing to undo: the qdiscs and rules live and die with the router namespace.) When the
    // first nft command (`add table inet tcplab`) fails, nothing of nft's exists yet and the
    // schedules go in as iptables-legacy rules instead; when those fail too, EnvironmentError
    // quotes both failures.
    void apply();
    TcRunStats read_stats() const;

private:
    std::string router_netns_;
    Impairment impairment_;
    TcFeatures features_;
    CommandRunner* runner_;
    std::vector<std::string> notes_;
    ScheduleMechanism mechanism_ = ScheduleMechanism::nftables;

    std::vector<Argv> schedule_commands() const;
    void apply_schedules();
};

}  // namespace tcplab::netem
