#pragma once
// VectorQueue<T>: the std::deque operations SequenceSpace needs (push_back, pop_front, a sorted
// insert, iteration) over one std::vector and the index of its first element. libstdc++'s deque
// allocates a map and a 512-byte node even while empty (two per stream: most of a short stream's
// memory), and frees and allocates a node every 16 segments as data is sent and acknowledged; here
// popped elements stay in place until the vector empties (then it is reused, capacity and all) or
// they are at least half of it (then they are dropped in one move), so steady traffic allocates
// nothing. Iterators are invalidated by push_back, insert and pop_front.
#include <cstddef>
#include <vector>

namespace tcplab::analyzer {

template <class T>
class VectorQueue {
public:
    using iterator = typename std::vector<T>::iterator;

    iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    iterator end() { return items_.end(); }
    bool empty() const { return head_ == items_.size(); }
    std::size_t size() const { return items_.size() - head_; }
    T& front() { return items_[head_]; }

    void push_back(const T& value) { items_.push_back(value); }
    void insert(iterator at, const T& value) { items_.insert(at, value); }
    void pop_front() {
        if (++head_ == items_.size()) {
            items_.clear();
            head_ = 0;
        } else if (head_ >= kCompactAt && head_ * 2 >= items_.size()) {
            items_.erase(items_.begin(), begin());
            head_ = 0;
        }
    }

private:
    static constexpr std::size_t kCompactAt = 64;  // below this, popped elements cost nothing
    std::vector<T> items_;
    std::size_t head_ = 0;  // items_[0, head_) were popped
};

}  // namespace tcplab::analyzer
