#pragma once
// BlockPcapReader: the records of a classic pcap file read in large blocks (pread() of 1 MiB at a
// time into one buffer) and handed out in place, without libpcap's fread() of every header and
// every packet into its own buffer. PcapReader uses it for the clean part of a file it opened with
// libpcap: only records libpcap would hand over as they are (a whole 16-byte header, caplen within
// the snapshot length, all caplen bytes present). At the first record that is not (and at the end
// of the file) next() returns false and PcapReader seeks libpcap's stream to offset(), so damage
// is reported by libpcap itself, with its messages and offsets, exactly as when libpcap read the
// whole file. Not a memory mapping: a file cut short while it is read would kill a process that
// touches a mapped page past the new end (SIGBUS); a short pread() is only an earlier end.
#include <pcap/pcap.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tcplab::analyzer {

class BlockPcapReader {
public:
    // The file header's facts the records need.
    struct Format {
        bool swapped = false;      // records written in the other byte order
        bool nanoseconds = false;  // the NSEC magic: the fraction is nanoseconds already
        std::uint32_t snapshot = 0;
    };
    // Reads `fd` (a regular file of `size` bytes when opened) from `start` (just after the file
    // header); `snapshot` is libpcap's (pcap_snapshot()). nullptr when the file is not one this
    // reader handles as libpcap would: not a classic pcap of version 2.4 with 16-byte record
    // headers. `link_type` (libpcap's DLT) matters for swapped files: libpcap rewrites some
    // pseudo-headers (USB, NFLOG, Linux SLL) in place, which this reader does not.
    static std::unique_ptr<BlockPcapReader> open(int fd, std::size_t size, std::size_t start,
                                                 std::uint32_t link_type, std::uint32_t snapshot);

    // A record as libpcap hands it over, its header filled where the caller reads it (a header
    // copied field by field into a pcap_pkthdr is reloaded in wider pieces than it was stored,
    // a store-forwarding stall per record). The times as libpcap gives them: signed 32-bit
    // fields, the fraction scaled up to nanoseconds (a nanosecond-precision handle's tv_usec).
    struct Record {
        pcap_pkthdr header{};
        const std::uint8_t* data = nullptr;  // into the buffer; valid until the next next()
    };
    // The next record, or false where libpcap has to take over (see above).
    bool next(Record& record);
    // File offset of the next record.
    std::size_t offset() const { return pos_; }

private:
    BlockPcapReader(int fd, std::size_t size, std::size_t start, Format format);
    std::uint32_t load32(const std::uint8_t* p) const;
    // Makes at least `need` bytes from pos_ on available in the buffer; false when the file
    // (now) ends sooner or `need` exceeds the buffer. Inline for the common case of bytes
    // already there: a call per record header and another per record body cost more than the
    // checks themselves.
    bool available(std::size_t need) {
        return buffer_start_ + buffer_length_ - pos_ >= need || refill(need);
    }
    bool refill(std::size_t need);

    int fd_;
    std::size_t size_;  // the file's size as far as this reader goes
    std::size_t pos_;   // file offset of the next record
    std::unique_ptr<std::uint8_t[]> buffer_;
    std::size_t buffer_start_;  // file offset of buffer_[0]
    std::size_t buffer_length_ = 0;
    Format format_;
};

}  // namespace tcplab::analyzer
