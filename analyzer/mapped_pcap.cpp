#include "analyzer/detail/mapped_pcap.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace tcplab::analyzer {

namespace {

constexpr std::uint32_t kMicroMagic = 0xa1b2c3d4;  // libpcap's TCPDUMP_MAGIC
constexpr std::uint32_t kNanoMagic = 0xa1b23c4d;   // NSEC_TCPDUMP_MAGIC
constexpr std::size_t kFileHeader = 24;
constexpr std::size_t kRecordHeader = 16;
// The mapping is populated ahead of the reader, and handed back to the page cache behind it, in
// steps of this many bytes: a file-backed page counts in the process's RSS while mapped, and the
// file can be far larger than the memory the analysis needs.
constexpr std::size_t kWindowStep = std::size_t{1} << 20;
constexpr std::size_t kPrefetchAhead = 4096;

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

std::unique_ptr<MappedPcap> MappedPcap::open(int fd, std::size_t size, std::size_t start,
                                             std::uint32_t link_type, std::uint32_t snapshot) {
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
    void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED) return nullptr;
    ::madvise(base, size, MADV_SEQUENTIAL);
    return std::unique_ptr<MappedPcap>(
        new MappedPcap(static_cast<const std::uint8_t*>(base), size, start, format));
}

MappedPcap::MappedPcap(const std::uint8_t* base, std::size_t size, std::size_t start, Format format)
    : base_(base), size_(size), pos_(start), format_(format) {}

MappedPcap::~MappedPcap() { ::munmap(const_cast<std::uint8_t*>(base_), size_); }

std::uint32_t MappedPcap::load32(const std::uint8_t* p) const {
    const std::uint32_t v = native32(p);
    return format_.swapped ? __builtin_bswap32(v) : v;
}

bool MappedPcap::next(Record& record) {
    if (size_ - pos_ < kRecordHeader) return false;
    const std::uint8_t* header = base_ + pos_;
    const std::uint32_t caplen = load32(header + 8);
    // Over the snapshot length libpcap either fails or cuts the record: its code decides.
    if (caplen > format_.snapshot || size_ - pos_ - kRecordHeader < caplen) return false;
    // The time fields as libpcap 1.10 widens them: signed 32-bit values, but unsigned ones from
    // a byte-swapped file (its SWAPLONG() yields an unsigned value). A time before 1970 or past
    // 2038 is rare, but then both readers give the same.
    const std::uint32_t seconds = load32(header);
    const std::uint32_t fraction32 = load32(header + 4);
    record.seconds = format_.swapped ? std::int64_t{seconds} : std::int32_t(seconds);
    const std::int64_t fraction =
        format_.swapped ? std::int64_t{fraction32} : std::int64_t{std::int32_t(fraction32)};
    record.fraction = format_.nanoseconds ? fraction : fraction * 1000;
    record.caplen = caplen;
    record.len = load32(header + 12);
    record.data = header + kRecordHeader;
    pos_ += kRecordHeader + caplen;
    // The hardware prefetcher stops at page boundaries; the records are read strictly in order.
    if (size_ - pos_ > kPrefetchAhead + 64) {
        __builtin_prefetch(base_ + pos_ + kPrefetchAhead);
        __builtin_prefetch(base_ + pos_ + kPrefetchAhead + 64);
    }
    if (pos_ >= mapped_until_) slide_window(pos_ - kRecordHeader - caplen);
    return true;
}

void MappedPcap::slide_window(std::size_t keep_from) {
    // Page tables for the next step in one call instead of a page fault every few pages.
    const std::size_t end = std::min(size_, mapped_until_ + kWindowStep);
    ::madvise(const_cast<std::uint8_t*>(base_ + mapped_until_), end - mapped_until_,
              MADV_POPULATE_READ);
    mapped_until_ = end;
    if (keep_from - released_ < 2 * kWindowStep) return;
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t until = (keep_from - kWindowStep) / page * page;
    ::madvise(const_cast<std::uint8_t*>(base_ + released_), until - released_, MADV_DONTNEED);
    released_ = until;
}

}  // namespace tcplab::analyzer
