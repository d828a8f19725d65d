#pragma once
// tcp.stream numbering as tshark does it: a conversation is an address/port pair in either
// direction, numbered from 0 in order of first appearance; a pure SYN whose ISN differs from the
// one seen before starts a new conversation on the same pair ("port numbers reused").
// Conversations live in a hash map keyed by a compact canonical 4-tuple; closed or idle ones are
// handed back for finalising and freed, so memory follows the number of open flows.
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

#include "analyzer/detail/stream_summary.hpp"
#include "analyzer/detail/tcp_analysis.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::analyzer {

// Address pair + port pair, canonical (lower endpoint first) so both directions map together.
// Stored as machine words so that comparing two keys (once per frame) is five word compares.
struct FlowKey {
    std::array<std::uint64_t, 4> addr{};  // lo address (2 words), hi address (2 words)
    std::uint64_t ports_family = 0;       // lo port << 32 | hi port << 16 | family
    friend bool operator==(const FlowKey& a, const FlowKey& b) {
        return ((a.addr[0] ^ b.addr[0]) | (a.addr[1] ^ b.addr[1]) | (a.addr[2] ^ b.addr[2]) |
                (a.addr[3] ^ b.addr[3]) | (a.ports_family ^ b.ports_family)) == 0;
    }

    static FlowKey make(const packet::IpAddress& src, std::uint16_t sport,
                        const packet::IpAddress& dst, std::uint16_t dport);
};

// True when src:sport is the key's lower endpoint.
bool is_low_endpoint(const packet::IpAddress& src, std::uint16_t sport,
                     const packet::IpAddress& dst, std::uint16_t dport);

struct FlowKeyHash {
    std::size_t operator()(const FlowKey& k) const noexcept;
};

// tshark's conversation completeness bits (tcp.completeness).
namespace completeness {
constexpr std::uint8_t kSynSent = 1;
constexpr std::uint8_t kSynAck = 2;
constexpr std::uint8_t kAck = 4;
constexpr std::uint8_t kData = 8;
constexpr std::uint8_t kFin = 16;
constexpr std::uint8_t kRst = 32;
}  // namespace completeness

struct Conversation {
    std::uint32_t stream = 0;
    packet::IpAddress addr[2];  // [0] sent the conversation's first frame
    std::uint16_t port[2] = {0, 0};
    FlowState flow[2];
    ConversationTiming timing;
    std::uint8_t completeness = 0;
    Nanos last_seen = 0;
    std::unique_ptr<StreamSummary> summary;  // report mode only

    // 0 when the packet goes from addr[0]:port[0], else 1.
    int direction(const packet::IpAddress& src, std::uint16_t sport) const {
        return (sport == port[0] && src == addr[0]) ? 0 : 1;  // the cheap test first
    }
    // True when the packet src:sport -> dst:dport belongs to this conversation (either way).
    bool joins(const packet::IpAddress& src, std::uint16_t sport, const packet::IpAddress& dst,
               std::uint16_t dport) const {
        if (sport == port[0] && dport == port[1]) return src == addr[0] && dst == addr[1];
        return sport == port[1] && dport == port[0] && src == addr[1] && dst == addr[0];
    }
    bool closed() const { return (completeness & (completeness::kFin | completeness::kRst)) != 0; }
};

// What is kept of a freed conversation so that a later packet on the same address/port pair
// gets what tshark gives it: tshark never forgets a conversation, so a packet after a long
// silence continues the old tcp.stream (unless it is a SYN with a new ISN) *and* its analysis
// (next expected seq, last ACK, window, unacked segments, dup-ACK count, ...). The numbering
// fields are always kept; the whole analysis state (`saved`) is kept within a byte budget, for
// the most recently freed conversations. A late packet on a tombstone whose state was dropped
// still gets the right stream index, but its analysis starts over (tshark would continue it).
struct Tombstone {
    std::uint32_t stream = 0;
    bool first_is_low = false;  // addr[0]:port[0] (the first sender) is the key's lower endpoint
    bool base_seq_set[2] = {false, false};
    SeqNum base_seq[2];
    std::uint8_t completeness = 0;
    Nanos freed_at = 0;
    std::unique_ptr<Conversation> saved;  // the analysis state, without the report summary
    std::size_t saved_bytes = 0;          // what `saved` costs, counted against the budget
};

class StreamTable {
public:
    // Called with every conversation that leaves the table (idle, replaced by port reuse, or
    // drained at the end), in stream order within one sweep.
    using Finalise = std::function<void(const Conversation&)>;

    // Idle limits in capture time: a closed conversation (FIN or RST seen) is finalised after
    // closed_idle, any other after open_idle (longer than Linux's 2 h keep-alive default).
    // Tombstones of freed conversations are kept for tombstone_ttl of capture time, and at most
    // max_tombstones of them (oldest dropped first): ~150 bytes each, so memory stays bounded.
    // The analysis state of the most recently freed ones is kept within saved_state_budget bytes.
    explicit StreamTable(bool collect_summaries, Nanos closed_idle = 120'000'000'000LL,
                         Nanos open_idle = 10'800'000'000'000LL,
                         Nanos tombstone_ttl = 86'400'000'000'000LL,
                         std::size_t max_tombstones = 200'000,
                         std::size_t saved_state_budget = std::size_t{8} << 20);

    struct Lookup {
        Conversation* conversation;
        bool is_new;
    };
    // The key is only computed when the packet is not in the last conversation looked up.
    Lookup find_or_create(const packet::IpAddress& src, std::uint16_t sport,
                          const packet::IpAddress& dst, std::uint16_t dport, Nanos now);
    // Port reuse: a fresh conversation (next stream index) replaces the one on this key; the
    // old one goes to finalise. A revived conversation has no summary: its report was written
    // when it was first freed.
    Conversation* replace(const packet::IpAddress& src, std::uint16_t sport,
                          const packet::IpAddress& dst, std::uint16_t dport, Nanos now,
                          const Finalise& finalise);
    // Finalises conversations idle past their limit, leaving a tombstone for each. Cheap to
    // call often (runs every kSweepEvery calls at most one sweep).
    void expire_idle(Nanos now, const Finalise& finalise);
    static constexpr std::uint32_t kSweepEvery = 65536;
    // The sweep itself, now: for a live capture, whose clock runs on while no packet comes.
    void sweep(Nanos now, const Finalise& finalise);
    // Finalises everything left, in stream order.
    void drain(const Finalise& finalise);

    std::size_t open_count() const { return map_.size(); }
    std::size_t tombstone_count() const { return tombstones_.size(); }
    std::size_t saved_state_bytes() const { return saved_bytes_; }
    std::uint32_t streams_created() const { return next_stream_; }

private:
    std::unique_ptr<Conversation> make(const packet::IpAddress& src, std::uint16_t sport,
                                       const packet::IpAddress& dst, std::uint16_t dport,
                                       Nanos now);

    void bury(const FlowKey& key, std::unique_ptr<Conversation> c, Nanos now);
    void forget_old_tombstones(Nanos now);
    void drop_saved(Tombstone& t);
    std::unique_ptr<Conversation> revive(Tombstone& t, const packet::IpAddress& src,
                                         std::uint16_t sport, const packet::IpAddress& dst,
                                         std::uint16_t dport, Nanos now);

    bool collect_;
    Nanos closed_idle_;
    Nanos open_idle_;
    Nanos tombstone_ttl_;
    std::size_t max_tombstones_;
    std::size_t saved_budget_;
    std::size_t saved_bytes_ = 0;
    std::uint32_t next_stream_ = 0;
    std::uint32_t calls_ = 0;
    std::unordered_map<FlowKey, std::unique_ptr<Conversation>, FlowKeyHash> map_;
    std::unordered_map<FlowKey, Tombstone, FlowKeyHash> tombstones_;
    // Burial order, oldest first; an entry whose tombstone was revived or replaced since is
    // recognised by its time and skipped.
    std::deque<std::pair<FlowKey, Nanos>> burial_order_;
    // The same for tombstones with a saved state: the oldest state is dropped first.
    std::deque<std::pair<FlowKey, Nanos>> saved_order_;
    // One-entry cache: bulk captures hit the same conversation again and again.
    Conversation* last_ = nullptr;
};

}  // namespace tcplab::analyzer
