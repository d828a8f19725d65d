#pragma once
// Output: a big in-memory buffer flushed with fwrite (or handed to the app's writer), so the
// per-frame path never touches iostreams or makes a syscall per row.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace tcplab::analyzer {

class Output {
public:
    // Where the text goes when flushed: the app prints it (e.g. after clearing a progress line).
    using Writer = std::function<void(std::string_view)>;

    explicit Output(std::FILE* file) : file_(file) { buffer_.reserve(kFlushAt + 4096); }
    explicit Output(Writer writer) : file_(nullptr), writer_(std::move(writer)) {
        buffer_.reserve(kFlushAt + 4096);
    }
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
    // Streamed results (a finished stream's report, a live capture's rows) reach the reader
    // within kFlushEvery, without a write per stream.
    void flush_if_due() {
        if (!buffer_.empty() && std::chrono::steady_clock::now() - last_flush_ >= kFlushEvery)
            flush();
    }
    void flush() {
        if (!buffer_.empty() && writer_) writer_(buffer_);
        if (!buffer_.empty() && file_ != nullptr) {
            std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
        }
        buffer_.clear();
        if (file_ != nullptr) std::fflush(file_);
        last_flush_ = std::chrono::steady_clock::now();
    }

private:
    static constexpr std::size_t kFlushAt = 1 << 20;
    static constexpr std::chrono::milliseconds kFlushEvery{200};
    std::FILE* file_;
    Writer writer_;
    std::string buffer_;
    std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

// "0.307586": seconds with 6 decimals, rounded half-up on the nanoseconds (as the golden
// expectations round tshark's 9 digits).
void append_seconds6(std::string& out, std::int64_t nanos);
// The same written at `out` (room for kSeconds6Max chars); returns the end.
inline constexpr std::size_t kSeconds6Max = 28;
char* format_seconds6(char* out, std::int64_t nanos);
std::string seconds6(std::int64_t nanos);

}  // namespace tcplab::analyzer
