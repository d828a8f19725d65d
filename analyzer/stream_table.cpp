#include "analyzer/stream_table.hpp"

#include <algorithm>
#include <cstring>
#include <tuple>
#include <vector>

namespace tcplab::analyzer {

FlowKey FlowKey::make(const packet::IpAddress& src, std::uint16_t sport,
                      const packet::IpAddress& dst, std::uint16_t dport) {
    FlowKey k;
    k.family = src.is_v4() ? 4 : 6;
    const bool src_low = std::tie(src.bytes, sport) < std::tie(dst.bytes, dport);
    const auto& lo = src_low ? src : dst;
    const auto& hi = src_low ? dst : src;
    k.lo_addr = lo.bytes;
    k.hi_addr = hi.bytes;
    k.lo_port = src_low ? sport : dport;
    k.hi_port = src_low ? dport : sport;
    return k;
}

std::size_t FlowKeyHash::operator()(const FlowKey& k) const noexcept {
    // Mix the key 8 bytes at a time (splitmix64 finaliser); the key has no padding surprises
    // because every byte is set explicitly by make().
    std::uint64_t words[4];
    std::memcpy(&words[0], k.lo_addr.data(), 8);
    std::memcpy(&words[1], k.lo_addr.data() + 8, 8);
    std::memcpy(&words[2], k.hi_addr.data(), 8);
    std::memcpy(&words[3], k.hi_addr.data() + 8, 8);
    std::uint64_t h = (std::uint64_t{k.lo_port} << 24) ^ (std::uint64_t{k.hi_port} << 8) ^ k.family;
    for (std::uint64_t w : words) {
        h ^= w + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 27;
    }
    return static_cast<std::size_t>(h ^ (h >> 31));
}

StreamTable::StreamTable(bool collect_summaries, Nanos closed_idle, Nanos open_idle)
    : collect_(collect_summaries), closed_idle_(closed_idle), open_idle_(open_idle) {
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

StreamTable::Lookup StreamTable::find_or_create(const FlowKey& key, const packet::IpAddress& src,
                                                std::uint16_t sport, const packet::IpAddress& dst,
                                                std::uint16_t dport, Nanos now) {
    if (last_ != nullptr && key == last_key_) {
        last_->last_seen = now;
        return {last_, false};
    }
    auto [it, inserted] = map_.try_emplace(key);
    if (inserted) it->second = make(src, sport, dst, dport, now);
    last_key_ = key;
    last_ = it->second.get();
    last_->last_seen = now;
    return {last_, inserted};
}

Conversation* StreamTable::replace(const FlowKey& key, const packet::IpAddress& src,
                                   std::uint16_t sport, const packet::IpAddress& dst,
                                   std::uint16_t dport, Nanos now, const Finalise& finalise) {
    auto& slot = map_[key];
    auto fresh = make(src, sport, dst, dport, now);
    if (slot) finalise(std::move(slot));
    slot = std::move(fresh);
    last_key_ = key;
    last_ = slot.get();
    return last_;
}

void StreamTable::expire_idle(Nanos now, const Finalise& finalise) {
    if (++calls_ < 65536) return;
    calls_ = 0;
    std::vector<std::unique_ptr<Conversation>> expired;
    for (auto it = map_.begin(); it != map_.end();) {
        const Nanos idle = now - it->second->last_seen;
        if (idle > (it->second->closed() ? closed_idle_ : open_idle_)) {
            expired.push_back(std::move(it->second));
            it = map_.erase(it);
        } else {
            ++it;
        }
    }
    last_ = nullptr;
    std::sort(expired.begin(), expired.end(),
              [](const auto& a, const auto& b) { return a->stream < b->stream; });
    for (auto& c : expired) finalise(std::move(c));
}

void StreamTable::drain(const Finalise& finalise) {
    std::vector<std::unique_ptr<Conversation>> all;
    all.reserve(map_.size());
    for (auto& [key, conv] : map_) all.push_back(std::move(conv));
    map_.clear();
    last_ = nullptr;
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a->stream < b->stream; });
    for (auto& c : all) finalise(std::move(c));
}

}  // namespace tcplab::analyzer
