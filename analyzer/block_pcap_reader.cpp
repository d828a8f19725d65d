#include "analyzer/detail/block_pcap_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tcplab::analyzer {

namespace {

constexpr std::uint32_t kMicroMagic = 0xa1b2c3d4;  // libpcap's TCPDUMP_MAGIC
constexpr std::uint32_t kNanoMagic = 0xa1b23c4d;   // NSEC_TCPDUMP_MAGIC
constexpr std::size_t kFileHeader = 24;
constexpr std::size_t kRecordHeader = 16;
// Read in blocks of this many bytes; the buffer holds one block plus the largest record that
// can straddle two (libpcap's largest snapshot length for the common link types is 262144).
// A larger record is left to libpcap.
constexpr std::size_t kBlock = std::size_t{1} << 20;
constexpr std::size_t kBuffer = kBlock + kRecordHeader + 262144;

// Link types whose packets libpcap passes on unchanged from a byte-swapped file (it rewrites
// the pseudo-headers of USB, NFLOG, Linux SLL/SLL2 and others into host order).
bool unchanged_when_swapped(std::uint32_t dlt) {
    switch (dlt) {
        case 0:    // NULL (the reader works out its byte order)
        case 1:    // EN10MB
        case 12:   // RAW (Linux)
        case 14:   // RAW (BSD)
        case 101:  // LINKTYPE_RAW
        case 108:  // LOOP
        case 228:  // IPV4
        case 229:  // IPV6
            return true;
        default:
            return false;
    }
}

std::uint16_t native16(const std::uint8_t* p) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

std::uint32_t native32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

std::unique_ptr<BlockPcapReader> BlockPcapReader::open(int fd, std::size_t size, std::size_t start,
                                                       std::uint32_t link_type,
                                                       std::uint32_t snapshot) {
    if (size < kFileHeader || start != kFileHeader) return nullptr;
    std::uint8_t header[kFileHeader];
    if (::pread(fd, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
        return nullptr;
    Format format;
    format.snapshot = snapshot;
    const std::uint32_t magic = native32(header);
    if (magic == kMicroMagic || magic == kNanoMagic) {
        format.nanoseconds = magic == kNanoMagic;
    } else if (__builtin_bswap32(magic) == kMicroMagic || __builtin_bswap32(magic) == kNanoMagic) {
        format.swapped = true;
        format.nanoseconds = __builtin_bswap32(magic) == kNanoMagic;
    } else {
        return nullptr;  // pcapng, or the "modified" pcap with longer record headers
    }
    std::uint16_t major = native16(header + 4);
    std::uint16_t minor = native16(header + 6);
    if (format.swapped) {
        major = __builtin_bswap16(major);
        minor = __builtin_bswap16(minor);
    }
    // Before 2.4 libpcap may swap caplen and len; 543.0 (DG/UX) always does.
    if (major != 2 || minor != 4) return nullptr;
    if (format.swapped && !unchanged_when_swapped(link_type)) return nullptr;
    return std::unique_ptr<BlockPcapReader>(new BlockPcapReader(fd, size, start, format));
}

BlockPcapReader::BlockPcapReader(int fd, std::size_t size, std::size_t start, Format format)
    : fd_(fd),
      size_(size),
      pos_(start),
      buffer_(new std::uint8_t[kBuffer]),
      buffer_start_(start),
      format_(format) {}

bool BlockPcapReader::refill(std::size_t need) {
    const std::size_t have = buffer_start_ + buffer_length_ - pos_;
    if (need > kBuffer || size_ - pos_ < need) return false;
    // Keep the part of a record already read, then fill the rest of the buffer.
    std::memmove(buffer_.get(), buffer_.get() + (pos_ - buffer_start_), have);
    buffer_start_ = pos_;
    buffer_length_ = have;
    while (buffer_length_ < need) {
        const std::size_t want = std::min(kBuffer - buffer_length_, size_ - pos_ - buffer_length_);
        const ssize_t got = ::pread(fd_, buffer_.get() + buffer_length_, want,
                                    static_cast<off_t>(buffer_start_ + buffer_length_));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            // The file ends sooner than it did when opened (or cannot be read): libpcap reads
            // on from here and says what it finds.
            size_ = buffer_start_ + buffer_length_;
            return false;
        }
        buffer_length_ += static_cast<std::size_t>(got);
    }
    return true;
}

std::uint32_t BlockPcapReader::load32(const std::uint8_t* p) const {
    const std::uint32_t v = native32(p);
    return format_.swapped ? __builtin_bswap32(v) : v;
}

bool BlockPcapReader::next(Record& record) {
    if (!available(kRecordHeader)) return false;
    const std::uint8_t* header = buffer_.get() + (pos_ - buffer_start_);
    const std::uint32_t caplen = load32(header + 8);
    // Over the snapshot length libpcap either fails or cuts the record: its code decides.
    if (caplen > format_.snapshot || !available(kRecordHeader + caplen)) return false;
    header = buffer_.get() + (pos_ - buffer_start_);  // available() may have moved the record
    // The time fields as libpcap 1.10 widens them: signed 32-bit values, but unsigned ones from
    // a byte-swapped file (its SWAPLONG() yields an unsigned value). A time before 1970 or past
    // 2038 is rare, but then both readers give the same.
    const std::uint32_t seconds = load32(header);
    const std::uint32_t fraction32 = load32(header + 4);
    record.header.ts.tv_sec = format_.swapped ? std::int64_t{seconds} : std::int32_t(seconds);
    const std::int64_t fraction =
        format_.swapped ? std::int64_t{fraction32} : std::int64_t{std::int32_t(fraction32)};
    record.header.ts.tv_usec = format_.nanoseconds ? fraction : fraction * 1000;
    record.header.caplen = caplen;
    record.header.len = load32(header + 12);
    record.data = header + kRecordHeader;
    pos_ += kRecordHeader + caplen;
    return true;
}

}  // namespace tcplab::analyzer
