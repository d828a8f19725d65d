#include "analyzer/pcap_reader.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/errors.hpp"

namespace tcplab::analyzer {

namespace {

// pcapng timestamps are 64-bit counts at any resolution, plus a 64-bit offset: libpcap can hand
// us seconds far past what int64 nanoseconds hold (year 2262). Such a time is clamped to
// +-2^62 ns, so that the difference of any two capture times still fits in an int64.
std::int64_t time_ns(std::int64_t seconds, std::int64_t nanos) {
    constexpr std::int64_t kLimit = std::int64_t{1} << 62;
    constexpr std::int64_t kLimitSeconds = kLimit / 1'000'000'000;
    if (seconds > kLimitSeconds) return kLimit;
    if (seconds < -kLimitSeconds) return -kLimit;
    // nanos is below 2^32 * 1000 even from a corrupt microsecond field: no overflow here.
    return std::clamp(seconds * 1'000'000'000 + nanos, -kLimit, kLimit);
}

}  // namespace

PcapReader::PcapReader(const std::string& path) : path_(path) {
    // We open the file ourselves so that, when libpcap rejects it ("unknown file format", a
    // truncated header, a bad pcapng block), the message can say where reading stopped.
    // libpcap reads record by record through stdio; with the default 4 KiB buffer that is one
    // read(2) per 4 KiB, a third of the time of a bare read loop on this VM. 1 MiB makes it noise.
    // Not zeroed: stdio fills it, and zeroing 1 MiB costs more than reading a small capture.
    buffer_ = std::make_unique_for_overwrite<char[]>(kReadBuffer);
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr)
        throw UsageError("cannot read capture file '" + path + "': " + std::strerror(errno));
    std::setvbuf(file, buffer_.get(), _IOFBF, kReadBuffer);
    open(file);
}

PcapReader::PcapReader(std::FILE* file, std::string name) : path_(std::move(name)) {
    if (file == nullptr) throw UsageError("cannot read capture '" + path_ + "': no stream");
    open(file);
}

void PcapReader::open(std::FILE* stream) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(stream, &std::fclose);
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ =
        pcap_fopen_offline_with_tstamp_precision(file.get(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle_ == nullptr) {
        throw UsageError("cannot read capture file '" + path_ + "': " + errbuf +
                         " (reading stopped at byte offset " +
                         std::to_string(std::ftell(file.get())) + ")");
    }
    file.release();  // pcap_close() closes it
    link_type_ = static_cast<std::uint32_t>(pcap_datalink(handle_));
}

PcapReader::~PcapReader() {
    if (handle_ != nullptr) pcap_close(handle_);
}

std::string PcapReader::link_type_name() const {
    const char* name = pcap_datalink_val_to_name(static_cast<int>(link_type_));
    return name != nullptr ? name : "unknown";
}

std::optional<CaptureRecord> PcapReader::next() {
    if (stop_) return std::nullopt;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == 1) {
        CaptureRecord r;
        r.number = ++count_;
        r.time_ns = time_ns(header->ts.tv_sec, header->ts.tv_usec);  // tv_usec holds ns here
        r.wire_length = header->len;
        r.data = {data, header->caplen};
        return r;
    }
    if (rc == PCAP_ERROR_BREAK) return std::nullopt;  // -2: clean end of file
    ReadStop stop;
    stop.record = count_ + 1;
    std::FILE* file = pcap_file(handle_);
    stop.offset = file != nullptr ? std::ftell(file) : -1;
    stop.message = pcap_geterr(handle_);
    stop_ = std::move(stop);
    return std::nullopt;
}

}  // namespace tcplab::analyzer
