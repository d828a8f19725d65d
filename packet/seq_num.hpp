#pragma once
// SeqNum: a TCP sequence number with RFC 1982 serial-number arithmetic. Comparing raw uint32_t
// sequence numbers is a bug (they wrap); compare SeqNums.
#include <compare>
#include <cstdint>

namespace tcplab::packet {

class SeqNum {
public:
    constexpr SeqNum() = default;
    constexpr explicit SeqNum(std::uint32_t raw) : raw_(raw) {}

    constexpr std::uint32_t raw() const { return raw_; }

    constexpr SeqNum operator+(std::uint32_t n) const { return SeqNum(raw_ + n); }
    constexpr SeqNum operator-(std::uint32_t n) const { return SeqNum(raw_ - n); }
    constexpr SeqNum& operator+=(std::uint32_t n) {
        raw_ += n;
        return *this;
    }
    // Signed distance b -> a, correct across the 2^32 wrap as long as |a-b| < 2^31.
    friend constexpr std::int32_t operator-(SeqNum a, SeqNum b) {
        return static_cast<std::int32_t>(a.raw_ - b.raw_);
    }
    friend constexpr bool operator==(SeqNum a, SeqNum b) = default;
    friend constexpr std::strong_ordering operator<=>(SeqNum a, SeqNum b) { return (a - b) <=> 0; }

private:
    std::uint32_t raw_ = 0;
};

}  // namespace tcplab::packet
