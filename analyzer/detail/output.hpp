#pragma once
// Output: a big in-memory buffer flushed with fwrite, so the per-frame path never touches
// iostreams or makes a syscall per row.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace tcplab::analyzer {

class Output {
public:
    explicit Output(std::FILE* file) : file_(file) { buffer_.reserve(kFlushAt + 4096); }
    ~Output() { flush(); }
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;

    std::string& buffer() { return buffer_; }
    void append(std::string_view s) { buffer_.append(s); }
    void append_u64(std::uint64_t v) {
        char tmp[24];
        const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
        buffer_.append(tmp, r.ptr);
    }
    void maybe_flush() {
        if (buffer_.size() >= kFlushAt) flush();
    }
    void flush() {
        if (!buffer_.empty() && file_ != nullptr) {
            std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
        }
        buffer_.clear();
        if (file_ != nullptr) std::fflush(file_);
    }

private:
    static constexpr std::size_t kFlushAt = 1 << 20;
    std::FILE* file_;
    std::string buffer_;
};

// "0.307586": seconds with 6 decimals, rounded half-up on the nanoseconds (as the golden
// expectations round tshark's 9 digits).
void append_seconds6(std::string& out, std::int64_t nanos);
std::string seconds6(std::int64_t nanos);

}  // namespace tcplab::analyzer
