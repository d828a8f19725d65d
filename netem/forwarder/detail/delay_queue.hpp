#pragma once
// DelayQueue: frames waiting for their release time (delay, jitter, rate). Ordered by release
// time, ties by arrival, like netem's time-sorted tfifo: jitter larger than the packet spacing
// reorders packets, a constant delay never does.
#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

namespace tcplab::netem {

struct QueuedFrame {
    std::int64_t release_ns = 0;
    std::uint64_t order = 0;          // arrival order, set by push()
    std::vector<std::uint8_t> bytes;  // the whole frame, link header included
};

class DelayQueue {
public:
    void push(std::int64_t release_ns, std::vector<std::uint8_t> bytes);
    // The earliest release time, if any frame is queued.
    std::optional<std::int64_t> next_release() const;
    // Removes and returns the earliest frame if it is due at now_ns.
    std::optional<QueuedFrame> pop_due(std::int64_t now_ns);
    std::size_t size() const { return heap_.size(); }
    // Frames that came out after a frame pushed later than them (jitter, a duplicate's own
    // delay): with none, the queue kept arrival order.
    std::uint64_t overtaken() const { return overtaken_; }
    bool empty() const { return heap_.empty(); }

private:
    struct Later {
        bool operator()(const QueuedFrame& a, const QueuedFrame& b) const {
            return a.release_ns != b.release_ns ? a.release_ns > b.release_ns : a.order > b.order;
        }
    };
    std::priority_queue<QueuedFrame, std::vector<QueuedFrame>, Later> heap_;
    std::uint64_t next_order_ = 0;
    std::optional<std::uint64_t> latest_popped_;
    std::uint64_t overtaken_ = 0;
};

}  // namespace tcplab::netem
