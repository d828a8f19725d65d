#include "analyzer/detail/stream_table.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace tcplab::analyzer {

namespace {

// An address as two words whose unsigned order is the bytes' lexicographic order.
struct Words {
    std::uint64_t hi;
    std::uint64_t lo;
};

Words ordered_words(const packet::IpAddress& a) {
    std::uint64_t w[2];
    std::memcpy(w, a.bytes.data(), sizeof w);
    return {__builtin_bswap64(w[0]), __builtin_bswap64(w[1])};
}

// (address bytes, port) of src below that of dst: two word compares instead of a memcmp.
bool is_low(const Words& s, std::uint16_t sport, const Words& d, std::uint16_t dport) {
    if (s.hi != d.hi) return s.hi < d.hi;
    if (s.lo != d.lo) return s.lo < d.lo;
    return sport < dport;
}

}  // namespace

bool is_low_endpoint(const packet::IpAddress& src, std::uint16_t sport,
                     const packet::IpAddress& dst, std::uint16_t dport) {
    return is_low(ordered_words(src), sport, ordered_words(dst), dport);
}

FlowKey FlowKey::make(const packet::IpAddress& src, std::uint16_t sport,
                      const packet::IpAddress& dst, std::uint16_t dport) {
    FlowKey k;
    const bool src_low = is_low_endpoint(src, sport, dst, dport);
    std::memcpy(&k.addr[0], (src_low ? src : dst).bytes.data(), 16);
    std::memcpy(&k.addr[2], (src_low ? dst : src).bytes.data(), 16);
    const std::uint64_t lo_port = src_low ? sport : dport;
    const std::uint64_t hi_port = src_low ? dport : sport;
    k.ports_family = (lo_port << 32) | (hi_port << 16) | (src.is_v4() ? 4u : 6u);
    return k;
}

std::size_t FlowKeyHash::operator()(const FlowKey& k) const noexcept {
    // splitmix64 finaliser over the five words.
    std::uint64_t h = k.ports_family;
    for (std::uint64_t w : k.addr) {
        h ^= w + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 27;
    }
    return static_cast<std::size_t>(h ^ (h >> 31));
}

StreamTable::StreamTable(bool collect_summaries, Nanos closed_idle, Nanos open_idle,
                         Nanos tombstone_ttl, std::size_t max_tombstones,
                         std::size_t saved_state_budget)
    : collect_(collect_summaries),
      closed_idle_(closed_idle),
      open_idle_(open_idle),
      tombstone_ttl_(tombstone_ttl),
      max_tombstones_(max_tombstones),
      saved_budget_(saved_state_budget) {
    map_.reserve(1024);
}

std::unique_ptr<Conversation> StreamTable::make(const packet::IpAddress& src, std::uint16_t sport,
                                                const packet::IpAddress& dst, std::uint16_t dport,
                                                Nanos now) {
    auto c = std::make_unique<Conversation>();
    c->stream = next_stream_++;
    c->addr[0] = src;
    c->addr[1] = dst;
    c->port[0] = sport;
    c->port[1] = dport;
    c->last_seen = now;
    if (collect_) c->summary = std::make_unique<StreamSummary>();
    return c;
}

StreamTable::Lookup StreamTable::find_or_create(const packet::IpAddress& src, std::uint16_t sport,
                                                const packet::IpAddress& dst, std::uint16_t dport,
                                                Nanos now) {
    if (last_ != nullptr && last_->joins(src, sport, dst, dport)) {
        last_->last_seen = now;
        return {last_, false};
    }
    const FlowKey key = FlowKey::make(src, sport, dst, dport);
    auto [it, inserted] = map_.try_emplace(key);
    bool is_new = inserted;
    if (inserted) {
        const auto tomb = tombstones_.find(key);
        if (tomb != tombstones_.end()) {
            it->second = revive(tomb->second, src, sport, dst, dport, now);
            tombstones_.erase(tomb);
            is_new = false;
        } else {
            it->second = make(src, sport, dst, dport, now);
        }
    }
    last_ = it->second.get();
    last_->last_seen = now;
    return {last_, is_new};
}

// The conversation as tshark still has it: the saved analysis state when the budget kept it,
// else the old stream index, its endpoints' roles, base sequence numbers (so relative numbers
// and the new-ISN test of port reuse still work) and completeness, with the analysis starting
// over. Either way without a summary: the stream's report was written when it was freed.
std::unique_ptr<Conversation> StreamTable::revive(Tombstone& t, const packet::IpAddress& src,
                                                  std::uint16_t sport, const packet::IpAddress& dst,
                                                  std::uint16_t dport, Nanos now) {
    if (t.saved) {
        auto c = std::move(t.saved);
        saved_bytes_ -= t.saved_bytes;
        c->last_seen = now;
        return c;
    }
    const bool src_first = is_low_endpoint(src, sport, dst, dport) == t.first_is_low;
    auto c = src_first ? make(src, sport, dst, dport, now) : make(dst, dport, src, sport, now);
    --next_stream_;  // make() took a new index; give it back
    c->stream = t.stream;
    c->summary.reset();
    for (int d = 0; d < 2; ++d) {
        c->flow[d].base_seq_set = t.base_seq_set[d];
        c->flow[d].base_seq = t.base_seq[d];
    }
    c->completeness = t.completeness;
    return c;
}

void StreamTable::bury(const FlowKey& key, std::unique_ptr<Conversation> c, Nanos now) {
    Tombstone t;
    t.stream = c->stream;
    t.first_is_low = is_low_endpoint(c->addr[0], c->port[0], c->addr[1], c->port[1]);
    for (int d = 0; d < 2; ++d) {
        t.base_seq_set[d] = c->flow[d].base_seq_set;
        t.base_seq[d] = c->flow[d].base_seq;
    }
    t.completeness = c->completeness;
    t.freed_at = now;
    c->summary.reset();
    std::size_t cost = sizeof(Conversation);
    for (auto& f : c->flow) {
        f.unacked.shrink_to_fit();
        cost += f.unacked.capacity() * sizeof(UnackedSegment);
    }
    if (cost <= saved_budget_) {
        t.saved = std::move(c);
        t.saved_bytes = cost;
        saved_bytes_ += cost;
        saved_order_.emplace_back(key, now);
    }
    auto& slot = tombstones_[key];
    drop_saved(slot);  // a tombstone being overwritten gives its budget back
    slot = std::move(t);
    burial_order_.emplace_back(key, now);
    // Over budget: the oldest saved states go first (their tombstones keep the numbering).
    while (saved_bytes_ > saved_budget_ && !saved_order_.empty()) {
        const auto [old_key, at] = saved_order_.front();
        saved_order_.pop_front();
        const auto it = tombstones_.find(old_key);
        if (it != tombstones_.end() && it->second.freed_at == at) drop_saved(it->second);
    }
}

void StreamTable::drop_saved(Tombstone& t) {
    if (!t.saved) return;
    saved_bytes_ -= t.saved_bytes;
    t.saved.reset();
    t.saved_bytes = 0;
}

void StreamTable::forget_old_tombstones(Nanos now) {
    // burial_order_ holds every live tombstone (plus stale entries), so capping it caps both.
    while (!burial_order_.empty()) {
        const auto& [key, at] = burial_order_.front();
        if (burial_order_.size() <= max_tombstones_ && now - at <= tombstone_ttl_) break;
        const auto it = tombstones_.find(key);
        if (it != tombstones_.end() && it->second.freed_at == at) {
            drop_saved(it->second);
            tombstones_.erase(it);
        }
        burial_order_.pop_front();
    }
    // Entries of saved_order_ whose state is gone (revived, dropped, forgotten) are skipped
    // when they reach the front; trim them so the deque stays as small as the saved set.
    while (!saved_order_.empty()) {
        const auto it = tombstones_.find(saved_order_.front().first);
        if (it != tombstones_.end() && it->second.saved &&
            it->second.freed_at == saved_order_.front().second) {
            break;
        }
        saved_order_.pop_front();
    }
}

Conversation* StreamTable::replace(const packet::IpAddress& src, std::uint16_t sport,
                                   const packet::IpAddress& dst, std::uint16_t dport, Nanos now,
                                   const Finalise& finalise) {
    auto& slot = map_[FlowKey::make(src, sport, dst, dport)];
    auto fresh = make(src, sport, dst, dport, now);
    if (slot) finalise(*slot);
    slot = std::move(fresh);
    last_ = slot.get();
    return last_;
}

void StreamTable::expire_idle(Nanos now, const Finalise& finalise) {
    if (++calls_ < kSweepEvery) return;
    sweep(now, finalise);
}

void StreamTable::sweep(Nanos now, const Finalise& finalise) {
    calls_ = 0;
    std::vector<std::pair<FlowKey, std::unique_ptr<Conversation>>> expired;
    for (auto it = map_.begin(); it != map_.end();) {
        const Nanos idle = now - it->second->last_seen;
        if (idle > (it->second->closed() ? closed_idle_ : open_idle_)) {
            expired.emplace_back(it->first, std::move(it->second));
            it = map_.erase(it);
        } else {
            ++it;
        }
    }
    last_ = nullptr;
    std::sort(expired.begin(), expired.end(),
              [](const auto& a, const auto& b) { return a.second->stream < b.second->stream; });
    for (auto& [key, c] : expired) {
        finalise(*c);
        bury(key, std::move(c), now);
    }
    forget_old_tombstones(now);
}

void StreamTable::drain(const Finalise& finalise) {
    std::vector<std::unique_ptr<Conversation>> all;
    all.reserve(map_.size());
    for (auto& [key, conv] : map_) all.push_back(std::move(conv));
    map_.clear();
    last_ = nullptr;
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a->stream < b->stream; });
    for (auto& c : all) finalise(*c);
}

}  // namespace tcplab::analyzer
