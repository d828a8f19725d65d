#pragma once
// PcapReader: one capture through libpcap — a file (pcap and pcapng, either byte order, micro- or
// nanosecond timestamps, all delivered as nanoseconds), stdin ("-"), or a live interface. RAII
// over pcap_t. The records of a classic pcap file are read in large blocks while they are
// whole (detail/block_pcap_reader.hpp); libpcap reads the rest, damage included. Opening failures
// throw UsageError naming the input (exit 2); damage found while reading is returned as a ReadStop,
// so what was read before it is still analysed.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>

struct pcap;
struct pcap_pkthdr;
struct pcap_dumper;
struct bpf_program;

namespace tcplab::analyzer {

class BlockPcapReader;

struct CaptureRecord {
    std::uint64_t number = 0;  // 1-based, counting the records the filter let through
    std::int64_t time_ns = 0;
    std::uint32_t wire_length = 0;
    std::span<const std::uint8_t> data;  // valid until the next call to next()
};

// Why reading ended before the end of the file.
struct ReadStop {
    std::uint64_t record = 0;  // the record that could not be read (1-based, in the file)
    long offset = -1;          // file offset where reading stopped (-1: unknown)
    std::string message;       // libpcap's description
};

// A live interface to capture on (libpcap's name: "eth0", "any", ...).
struct LiveInterface {
    std::string name;
};

// How far through its input a reader is, for a progress display.
struct ReadProgress {
    std::uint64_t records = 0;
    std::int64_t bytes_read = -1;   // -1: not known (a pipe)
    std::int64_t total_bytes = -1;  // -1: not known (a pipe, a live interface)
};

class PcapReader {
public:
    // A capture file, or stdin when `path` is "-". Throws UsageError.
    explicit PcapReader(const std::string& path);
    // A capture already open as a stream (e.g. fmemopen over bytes in memory): takes ownership
    // of `file`, also when it throws. `name` stands for the file in messages.
    PcapReader(std::FILE* file, std::string name);
    // A live capture (promiscuous, whole packets, delivered at once, non-blocking). Throws
    // UsageError for an interface that does not exist, EnvironmentError when capturing is not
    // permitted (not root / no CAP_NET_RAW).
    explicit PcapReader(const LiveInterface& interface);
    ~PcapReader();
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;

    std::uint32_t link_type() const { return link_type_; }
    std::string link_type_name() const;
    const std::string& path() const { return path_; }
    bool live() const { return live_; }

    // Keeps only the records matching a BPF expression (tcpdump's syntax): the kernel filters a
    // live capture, libpcap's interpreter a file. Records are numbered as if the capture had been
    // taken with the filter. Throws UsageError "-f 'EXPR': <libpcap's message>".
    void set_filter(const std::string& expression);
    // Also writes every record delivered from now on (after the filter) to a pcap file, with the
    // very bytes and times the analysis sees (tshark's -w). Throws UsageError "-w FILE: ...".
    void save_to(const std::string& path);

    // The next record, or nullopt: at the end (check stopped() for damage) or, live, when no
    // record is waiting now (at_end() tells the two apart; poll selectable_fd() to wait).
    std::optional<CaptureRecord> next();
    bool at_end() const { return ended_ || stop_.has_value(); }
    const std::optional<ReadStop>& stopped() const { return stop_; }
    // Live: readable when records are waiting.
    int selectable_fd() const;
    // Live: packets the kernel dropped because we did not read them fast enough.
    std::uint64_t dropped() const;

    ReadProgress progress() const;

private:
    void open(std::FILE* file);
    // Hands a regular classic pcap file's records to a BlockPcapReader (libpcap keeps the rest).
    void read_in_blocks(std::FILE* file);
    // Filter, save and number a record read by either reader; false when the filter drops it.
    bool deliver(const pcap_pkthdr& header, const std::uint8_t* data, CaptureRecord& out);

    static constexpr std::size_t kReadBuffer = 1 << 20;
    std::string path_;
    std::unique_ptr<char[]> buffer_;  // the stdio buffer of the file; outlives handle_
    pcap* handle_ = nullptr;
    std::unique_ptr<bpf_program, void (*)(bpf_program*)> filter_;  // files only
    pcap_dumper* dumper_ = nullptr;
    std::uint32_t link_type_ = 0;
    bool live_ = false;
    bool nanosecond_times_ = true;
    bool ended_ = false;
    std::uint64_t count_ = 0;    // records delivered
    std::uint64_t records_ = 0;  // records read from the file, filtered or not
    std::int64_t total_bytes_ = -1;
    std::optional<ReadStop> stop_;
    std::unique_ptr<BlockPcapReader> blocks_;  // while set, records come from it, not from libpcap
};

}  // namespace tcplab::analyzer
