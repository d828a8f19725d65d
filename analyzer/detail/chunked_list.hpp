#pragma once
// ChunkedList<T>: an append-only list. The first kChunk elements live in a vector that grows as
// needed, so a list of one element costs one element, not a chunk (a capture of 66,666 short
// streams, each with an event or two, held a 16 kB chunk per stream: 1.1 GB); past kChunk it is
// stored in fixed chunks, so growing a long list never copies what is already stored (a vector
// doubles and moves everything) and costs one allocation per kChunk elements (std::deque
// allocates a node per 512 bytes, i.e. per 3 events). Elements may move while the list is below
// kChunk: hold no reference across push_back.
#include <array>
#include <cstddef>
#include <memory>
#include <vector>

namespace tcplab::analyzer {

template <class T, std::size_t kChunk = 128>
class ChunkedList {
public:
    void push_back(const T& value) { emplace_back() = value; }
    // A new default element, to be filled in place (no copy through a temporary).
    T& emplace_back() {
        T* slot;
        if (size_ < kChunk) {
            slot = &head_.emplace_back();
        } else {
            const std::size_t i = size_ - kChunk;
            if (i % kChunk == 0) chunks_.push_back(std::make_unique<Chunk>());
            slot = &(*chunks_.back())[i % kChunk];  // value-initialised with its chunk
        }
        ++size_;
        return *slot;
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const T& operator[](std::size_t i) const {
        return i < kChunk ? head_[i] : (*chunks_[(i - kChunk) / kChunk])[(i - kChunk) % kChunk];
    }

    class const_iterator {
    public:
        const_iterator(const ChunkedList* list, std::size_t i) : list_(list), i_(i) {}
        const T& operator*() const { return (*list_)[i_]; }
        const T* operator->() const { return &(*list_)[i_]; }
        const_iterator& operator++() {
            ++i_;
            return *this;
        }
        friend bool operator==(const const_iterator&, const const_iterator&) = default;

    private:
        const ChunkedList* list_;
        std::size_t i_;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }

private:
    using Chunk = std::array<T, kChunk>;
    std::vector<T> head_;                         // elements 0 .. kChunk-1
    std::vector<std::unique_ptr<Chunk>> chunks_;  // the rest, kChunk each
    std::size_t size_ = 0;
};

}  // namespace tcplab::analyzer
