#pragma once
// tcp.stream numbering as tshark does it: a conversation is an address/port pair in either
// direction, numbered from 0 in order of first appearance; a pure SYN whose ISN differs from the
// one seen before starts a new conversation on the same pair ("port numbers reused").
// Conversations live in a hash map keyed by a compact canonical 4-tuple; closed or idle ones are
// handed back for finalising and freed, so memory follows the number of open flows.
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "analyzer/stream_summary.hpp"
#include "analyzer/tcp_analysis.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::analyzer {

// Address pair + port pair, canonical (lower endpoint first) so both directions map together.
struct FlowKey {
    std::array<std::uint8_t, 16> lo_addr{};
    std::array<std::uint8_t, 16> hi_addr{};
    std::uint16_t lo_port = 0;
    std::uint16_t hi_port = 0;
    std::uint8_t family = 0;
    friend bool operator==(const FlowKey&, const FlowKey&) = default;

    static FlowKey make(const packet::IpAddress& src, std::uint16_t sport,
                        const packet::IpAddress& dst, std::uint16_t dport);
};

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
        return (src == addr[0] && sport == port[0]) ? 0 : 1;
    }
    bool closed() const {
        return (completeness & (completeness::kFin | completeness::kRst)) != 0;
    }
};

class StreamTable {
public:
    using Finalise = std::function<void(std::unique_ptr<Conversation>)>;

    // Idle limits in capture time: a closed conversation (FIN or RST seen) is finalised after
    // closed_idle, any other after open_idle (longer than Linux's 2 h keep-alive default).
    explicit StreamTable(bool collect_summaries, Nanos closed_idle = 120'000'000'000LL,
                         Nanos open_idle = 10'800'000'000'000LL);

    struct Lookup {
        Conversation* conversation;
        bool is_new;
    };
    Lookup find_or_create(const FlowKey& key, const packet::IpAddress& src, std::uint16_t sport,
                          const packet::IpAddress& dst, std::uint16_t dport, Nanos now);
    // Port reuse: a fresh conversation (next stream index) replaces the one on this key; the
    // old one goes to finalise.
    Conversation* replace(const FlowKey& key, const packet::IpAddress& src, std::uint16_t sport,
                          const packet::IpAddress& dst, std::uint16_t dport, Nanos now,
                          const Finalise& finalise);
    // Finalises conversations idle past their limit. Cheap to call often (runs every 64k calls
    // at most one sweep).
    void expire_idle(Nanos now, const Finalise& finalise);
    // Finalises everything left, in stream order.
    void drain(const Finalise& finalise);

    std::size_t open_count() const { return map_.size(); }
    std::uint32_t streams_created() const { return next_stream_; }

private:
    std::unique_ptr<Conversation> make(const packet::IpAddress& src, std::uint16_t sport,
                                       const packet::IpAddress& dst, std::uint16_t dport, Nanos now);

    bool collect_;
    Nanos closed_idle_;
    Nanos open_idle_;
    std::uint32_t next_stream_ = 0;
    std::uint32_t calls_ = 0;
    std::unordered_map<FlowKey, std::unique_ptr<Conversation>, FlowKeyHash> map_;
    // One-entry cache: bulk captures hit the same conversation again and again.
    FlowKey last_key_{};
    Conversation* last_ = nullptr;
};

}  // namespace tcplab::analyzer
