#pragma once
// `tcplab analyze`'s progress line on stderr while a long file is read: bytes read of the file's
// size, percent and rate (records and their rate when the input is a pipe of unknown size).
// Shown only on a terminal, and only once reading has taken a moment, so a short file or a
// redirected stderr gets nothing; cleared before any report text reaches the same terminal.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "analyzer/pcap_reader.hpp"

namespace tcplab::app {

class AnalyzeProgress {
public:
    // enabled: stderr is a terminal and --quiet was not given.
    explicit AnalyzeProgress(bool enabled) : enabled_(enabled) {}
    ~AnalyzeProgress() { clear(); }
    AnalyzeProgress(const AnalyzeProgress&) = delete;
    AnalyzeProgress& operator=(const AnalyzeProgress&) = delete;

    // A new input starts (its name heads the line).
    void start(const std::string& name);
    void update(const analyzer::ReadProgress& p);
    // Erases the line (before report text is written to a terminal, and at the end).
    void clear();

    // The line itself, for the given progress and seconds since start (tested on its own).
    static std::string line(const std::string& name, const analyzer::ReadProgress& p,
                            double seconds);

private:
    using Clock = std::chrono::steady_clock;
    bool enabled_;
    bool shown_ = false;
    std::string name_;
    Clock::time_point start_ = Clock::now();
    Clock::time_point last_ = Clock::now();
};

}  // namespace tcplab::app
