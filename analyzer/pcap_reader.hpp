#pragma once
// PcapReader: one capture file through libpcap (pcap and pcapng, either byte order, micro- or
// nanosecond timestamps, all delivered as nanoseconds). RAII over pcap_t. Opening failures throw
// UsageError naming the file (exit 2); damage found while reading is returned as a ReadStop, so
// what was read before it is still analysed.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>

struct pcap;

namespace tcplab::analyzer {

struct CaptureRecord {
    std::uint64_t number = 0;  // 1-based
    std::int64_t time_ns = 0;
    std::uint32_t wire_length = 0;
    std::span<const std::uint8_t> data;  // valid until the next call to next()
};

// Why reading ended before the end of the file.
struct ReadStop {
    std::uint64_t record = 0;  // the record that could not be read (1-based)
    long offset = -1;          // file offset where reading stopped (-1: unknown)
    std::string message;       // libpcap's description
};

class PcapReader {
public:
    explicit PcapReader(const std::string& path);  // throws UsageError
    // A capture already open as a stream (e.g. fmemopen over bytes in memory): takes ownership
    // of `file`, also when it throws. `name` stands for the file in messages.
    PcapReader(std::FILE* file, std::string name);
    ~PcapReader();
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;

    std::uint32_t link_type() const { return link_type_; }
    std::string link_type_name() const;
    const std::string& path() const { return path_; }

    // The next record, or nullopt at the end (check stopped() for damage).
    std::optional<CaptureRecord> next();
    const std::optional<ReadStop>& stopped() const { return stop_; }

private:
    void open(std::FILE* file);

    static constexpr std::size_t kReadBuffer = 1 << 20;
    std::string path_;
    std::unique_ptr<char[]> buffer_;  // the stdio buffer of the file; outlives handle_
    pcap* handle_ = nullptr;
    std::uint32_t link_type_ = 0;
    std::uint64_t count_ = 0;
    std::optional<ReadStop> stop_;
};

}  // namespace tcplab::analyzer
