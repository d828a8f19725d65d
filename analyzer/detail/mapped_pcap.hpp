#pragma once
// MappedPcap: the records of a classic pcap file read straight out of a read-only memory mapping,
// without libpcap's fread() of every header and every packet into its buffer. PcapReader uses it
// for the clean part of a file it opened with libpcap: only records libpcap would hand over as
// they are (a whole 16-byte header, caplen within the snapshot length, all caplen bytes present).
// At the first record that is not (and at the end of the mapping) next() returns false and
// PcapReader seeks libpcap's stream to offset(), so damage is reported by libpcap itself, with
// its messages and offsets, exactly as when libpcap read the whole file.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tcplab::analyzer {

class MappedPcap {
public:
    // The file header's facts the records need.
    struct Format {
        bool swapped = false;      // records written in the other byte order
        bool nanoseconds = false;  // the NSEC magic: the fraction is nanoseconds already
        std::uint32_t snapshot = 0;
    };
    // Maps `fd` (a regular file of `size` bytes) and reads records from `start` (just after the
    // file header); `snapshot` is libpcap's (pcap_snapshot()). nullptr when the file is not one
    // this reader handles as libpcap would: not a classic pcap of version 2.4 with 16-byte record
    // headers, or the mapping failed. `link_type` (libpcap's DLT) matters for swapped files:
    // libpcap rewrites some pseudo-headers (USB, NFLOG, Linux SLL) in place, which a read-only
    // mapping cannot do.
    static std::unique_ptr<MappedPcap> open(int fd, std::size_t size, std::size_t start,
                                            std::uint32_t link_type, std::uint32_t snapshot);
    ~MappedPcap();
    MappedPcap(const MappedPcap&) = delete;
    MappedPcap& operator=(const MappedPcap&) = delete;

    struct Record {
        std::int64_t seconds = 0;   // as libpcap gives them: signed 32-bit fields, the fraction
        std::int64_t fraction = 0;  // scaled up to nanoseconds
        std::uint32_t caplen = 0;
        std::uint32_t len = 0;
        const std::uint8_t* data = nullptr;  // into the mapping; valid until the next next()
    };
    // The next record, or false where libpcap has to take over (see above).
    bool next(Record& record);
    // File offset of the next record.
    std::size_t offset() const { return pos_; }

private:
    MappedPcap(const std::uint8_t* base, std::size_t size, std::size_t start, Format format);
    std::uint32_t load32(const std::uint8_t* p) const;
    // Populates the mapping ahead of the reader and releases it behind `keep_from`.
    void slide_window(std::size_t keep_from);

    const std::uint8_t* base_;
    std::size_t size_;
    std::size_t pos_;
    std::size_t released_ = 0;      // bytes before this are handed back to the page cache
    std::size_t mapped_until_ = 0;  // bytes before this are populated
    Format format_;
};

}  // namespace tcplab::analyzer
