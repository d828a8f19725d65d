#include "netem/forwarder/detail/delay_queue.hpp"

#include <algorithm>
#include <utility>

namespace tcplab::netem {

void DelayQueue::push(std::int64_t release_ns, std::vector<std::uint8_t> bytes) {
    heap_.push(QueuedFrame{release_ns, next_order_++, std::move(bytes)});
}

std::optional<std::int64_t> DelayQueue::next_release() const {
    if (heap_.empty()) {
        return std::nullopt;
    }
    return heap_.top().release_ns;
}

std::optional<QueuedFrame> DelayQueue::pop_due(std::int64_t now_ns) {
    if (heap_.empty() || heap_.top().release_ns > now_ns) {
        return std::nullopt;
    }
    // priority_queue::top is const; the frame is moved out just before pop discards it.
    QueuedFrame frame = std::move(const_cast<QueuedFrame&>(heap_.top()));
    heap_.pop();
    if (latest_popped_ && frame.order < *latest_popped_) {
        ++overtaken_;
    }
    latest_popped_ = std::max(latest_popped_.value_or(0), frame.order);
    return frame;
}

}  // namespace tcplab::netem
