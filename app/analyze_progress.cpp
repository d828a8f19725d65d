#include "app/analyze_progress.hpp"

#include <cstdint>

namespace tcplab::app {

namespace {

// Nothing for the first half second (a short file stays silent), then at most 5 updates a second.
constexpr auto kQuietStart = std::chrono::milliseconds(500);
constexpr auto kEvery = std::chrono::milliseconds(200);

std::string mib(double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1024.0 * 1024.0));
    return text;
}

}  // namespace

void AnalyzeProgress::start(const std::string& name) {
    clear();
    name_ = name;
    start_ = last_ = Clock::now();
}

std::string AnalyzeProgress::line(const std::string& name, const analyzer::ReadProgress& p,
                                  double seconds) {
    std::string text = "tcplab analyze: " + name + "  ";
    const double rate_base = seconds > 0 ? seconds : 1;
    if (p.bytes_read >= 0) {
        const auto read = static_cast<double>(p.bytes_read);
        text += mib(read);
        if (p.total_bytes > 0) {
            char percent[16];
            std::snprintf(percent, sizeof percent, "  %3.0f%%",
                          100.0 * read / static_cast<double>(p.total_bytes));
            text += " / " + mib(static_cast<double>(p.total_bytes)) + percent;
        }
        text += "  " + mib(read / rate_base) + "/s";
    } else {
        char records[64];
        std::snprintf(records, sizeof records, "%llu records  %.0f records/s",
                      static_cast<unsigned long long>(p.records),
                      static_cast<double>(p.records) / rate_base);
        text += records;
    }
    return text;
}

void AnalyzeProgress::update(const analyzer::ReadProgress& p) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (now - start_ < kQuietStart || now - last_ < kEvery) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    // \r and "erase to end of line": the line is rewritten in place.
    std::fprintf(stderr, "\r%s\x1b[K", line(name_, p, seconds).c_str());
    std::fflush(stderr);
    shown_ = true;
}

void AnalyzeProgress::clear() {
    if (!shown_) return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    shown_ = false;
}

}  // namespace tcplab::app
