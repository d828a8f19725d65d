#include "analyzer/pcap_reader.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "analyzer/detail/block_pcap_reader.hpp"
#include "base/errors.hpp"
#include "base/stop_signal.hpp"

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

void free_program(bpf_program* program) {
    if (program == nullptr) return;
    pcap_freecode(program);
    delete program;
}

// stdin as a stream whose ftell() works on a pipe too: it reports the bytes read so far, so a
// damaged capture's warning names the same byte offset as for the file, and progress has bytes.
struct StdinCookie {
    int fd = -1;
    std::int64_t offset = 0;
};

ssize_t stdin_read(void* cookie, char* buffer, std::size_t size) {
    auto* c = static_cast<StdinCookie*>(cookie);
    for (;;) {
        const ssize_t n = ::read(c->fd, buffer, size);
        if (n >= 0) c->offset += n;
        if (n >= 0 || errno != EINTR) return n;
        if (stop_requested()) return 0;  // SIGINT/SIGTERM while the pipe is idle: end here
    }
}

int stdin_seek(void* cookie, off64_t* position, int whence) {
    if (whence != SEEK_CUR || *position != 0) {  // only "where are we", for ftell()
        errno = ESPIPE;
        return -1;
    }
    *position = static_cast<StdinCookie*>(cookie)->offset;
    return 0;
}

int stdin_close(void* cookie) {
    auto* c = static_cast<StdinCookie*>(cookie);
    ::close(c->fd);
    delete c;
    return 0;
}

// A duplicate of stdin, so that pcap_close() leaves the process's own stdin open.
std::FILE* open_stdin() {
    const int fd = ::dup(STDIN_FILENO);
    if (fd < 0) return nullptr;
    auto* cookie = new StdinCookie{fd, 0};
    std::FILE* file = ::fopencookie(cookie, "rb", {stdin_read, nullptr, stdin_seek, stdin_close});
    if (file == nullptr) stdin_close(cookie);
    return file;
}

// Live capture snaplen: whole packets (tcpdump's default), so payload lengths are real.
constexpr int kLiveSnaplen = 262144;
// The kernel ring: room for bursts while the analyzer is busy with a sweep.
constexpr int kLiveBufferBytes = 8 << 20;

}  // namespace

PcapReader::PcapReader(const std::string& path) : path_(path), filter_(nullptr, &free_program) {
    // We open the file ourselves so that, when libpcap rejects it ("unknown file format", a
    // truncated header, a bad pcapng block), the message can say where reading stopped.
    // libpcap reads record by record through stdio; with the default 4 KiB buffer that is one
    // read(2) per 4 KiB, a third of the time of a bare read loop on this VM. 1 MiB makes it noise.
    // Not zeroed: stdio fills it, and zeroing 1 MiB costs more than reading a small capture.
    buffer_ = std::make_unique_for_overwrite<char[]>(kReadBuffer);
    const bool from_stdin = path == "-";
    std::FILE* file = from_stdin ? open_stdin() : std::fopen(path.c_str(), "rb");
    if (file == nullptr)
        throw UsageError("cannot read capture file '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(from_stdin ? STDIN_FILENO : ::fileno(file), &st) == 0 && S_ISREG(st.st_mode))
        total_bytes_ = st.st_size;
    std::setvbuf(file, buffer_.get(), _IOFBF, kReadBuffer);
    open(file);
    if (!from_stdin && total_bytes_ >= 0) read_in_blocks(pcap_file(handle_));
}

void PcapReader::read_in_blocks(std::FILE* file) {
    const long start = std::ftell(file);
    if (start < 0) return;
    blocks_ = BlockPcapReader::open(::fileno(file), static_cast<std::size_t>(total_bytes_),
                                    static_cast<std::size_t>(start), link_type_,
                                    static_cast<std::uint32_t>(pcap_snapshot(handle_)));
}

PcapReader::PcapReader(std::FILE* file, std::string name)
    : path_(std::move(name)), filter_(nullptr, &free_program) {
    if (file == nullptr) throw UsageError("cannot read capture '" + path_ + "': no stream");
    open(file);
}

void PcapReader::open(std::FILE* stream) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(stream, &std::fclose);
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ =
        pcap_fopen_offline_with_tstamp_precision(file.get(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle_ == nullptr) {
        const long offset = std::ftell(file.get());
        throw UsageError("cannot read capture file '" + path_ + "': " + errbuf +
                         (offset >= 0
                              ? " (reading stopped at byte offset " + std::to_string(offset) + ")"
                              : ""));
    }
    file.release();  // pcap_close() closes it
    link_type_ = static_cast<std::uint32_t>(pcap_datalink(handle_));
}

PcapReader::PcapReader(const LiveInterface& interface)
    : path_(interface.name), filter_(nullptr, &free_program), live_(true) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ = pcap_create(path_.c_str(), errbuf);
    if (handle_ == nullptr) throw UsageError("-i " + path_ + ": " + errbuf);
    pcap_set_snaplen(handle_, kLiveSnaplen);
    pcap_set_promisc(handle_, 1);
    pcap_set_immediate_mode(handle_, 1);  // each packet at once: results follow the traffic
    pcap_set_buffer_size(handle_, kLiveBufferBytes);
    pcap_set_tstamp_precision(handle_, PCAP_TSTAMP_PRECISION_NANO);  // microseconds if refused
    const int rc = pcap_activate(handle_);
    if (rc < 0) {
        std::string why = pcap_statustostr(rc);
        const std::string detail = pcap_geterr(handle_);
        if (!detail.empty() && detail != why) why += ": " + detail;
        pcap_close(handle_);
        handle_ = nullptr;
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            throw UsageError("-i " + path_ + ": no such interface here (" + why + ")");
        if (rc == PCAP_ERROR_PERM_DENIED)
            throw EnvironmentError("-i " + path_ + ": capturing needs root or CAP_NET_RAW (" + why +
                                   ")");
        throw EnvironmentError("-i " + path_ + ": cannot capture: " + why);
    }
    nanosecond_times_ = pcap_get_tstamp_precision(handle_) == PCAP_TSTAMP_PRECISION_NANO;
    if (pcap_setnonblock(handle_, 1, errbuf) != 0) {
        pcap_close(handle_);
        handle_ = nullptr;
        throw SystemError("-i " + path_ + ": cannot make the capture non-blocking: " + errbuf);
    }
    link_type_ = static_cast<std::uint32_t>(pcap_datalink(handle_));
}

PcapReader::~PcapReader() {
    if (dumper_ != nullptr) pcap_dump_close(dumper_);
    if (handle_ != nullptr) pcap_close(handle_);
}

void PcapReader::save_to(const std::string& path) {
    if (dumper_ != nullptr) pcap_dump_close(dumper_);
    dumper_ = pcap_dump_open(handle_, path.c_str());
    if (dumper_ == nullptr) throw UsageError("-w " + path + ": " + pcap_geterr(handle_));
}

std::string PcapReader::link_type_name() const {
    const char* name = pcap_datalink_val_to_name(static_cast<int>(link_type_));
    return name != nullptr ? name : "unknown";
}

void PcapReader::set_filter(const std::string& expression) {
    std::unique_ptr<bpf_program, void (*)(bpf_program*)> program(new bpf_program{}, &free_program);
    if (pcap_compile(handle_, program.get(), expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
        throw UsageError("-f '" + expression + "': " + pcap_geterr(handle_));
    if (!live_) {
        filter_ = std::move(program);
        return;
    }
    if (pcap_setfilter(handle_, program.get()) != 0)
        throw UsageError("-f '" + expression + "': " + pcap_geterr(handle_));
}

bool PcapReader::deliver(const pcap_pkthdr& header, const std::uint8_t* data, CaptureRecord& out) {
    ++records_;
    if (filter_ && pcap_offline_filter(filter_.get(), &header, data) == 0) return false;
    if (dumper_ != nullptr) pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, data);
    out.number = ++count_;
    // tv_usec holds nanoseconds when libpcap delivers nanosecond precision.
    const std::int64_t fraction = header.ts.tv_usec;
    out.time_ns = time_ns(header.ts.tv_sec, nanosecond_times_ ? fraction : fraction * 1000);
    out.wire_length = header.len;
    out.data = {data, header.caplen};
    return true;
}

std::optional<CaptureRecord> PcapReader::next() {
    // One named result, filled in place and returned without a copy (NRVO: every return returns
    // it; a copy reloads fields just stored one by one, which stalls on store forwarding).
    std::optional<CaptureRecord> result;
    if (at_end()) return result;
    CaptureRecord& r = result.emplace();
    if (blocks_) {
        BlockPcapReader::Record m;
        while (blocks_->next(m)) {
            if (deliver(m.header, m.data, r)) return result;
        }
        // The end of the file, or a record only libpcap knows what to do with: it reads on
        // from there, and reports damage with its own words and offsets.
        std::FILE* file = pcap_file(handle_);
        const bool seeked = std::fseek(file, static_cast<long>(blocks_->offset()), SEEK_SET) == 0;
        blocks_.reset();
        if (!seeked) {
            stop_ = ReadStop{records_ + 1, -1, std::string("cannot seek: ") + std::strerror(errno)};
            result.reset();
            return result;
        }
    }
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    for (;;) {
        const int rc = pcap_next_ex(handle_, &header, &data);
        if (rc == 1) {
            if (deliver(*header, data, r)) return result;
            continue;
        }
        if (rc == 0) {  // live: nothing waiting now
            result.reset();
            return result;
        }
        if (rc == PCAP_ERROR_BREAK) {  // -2: clean end of file
            ended_ = true;
            result.reset();
            return result;
        }
        if (stop_requested()) {  // a read cut short by SIGINT/SIGTERM is no damage
            ended_ = true;
            result.reset();
            return result;
        }
        ReadStop stop;
        stop.record = records_ + 1;
        std::FILE* file = pcap_file(handle_);
        stop.offset = file != nullptr ? std::ftell(file) : -1;
        stop.message = pcap_geterr(handle_);
        stop_ = std::move(stop);
        result.reset();
        return result;
    }
}

int PcapReader::selectable_fd() const { return pcap_get_selectable_fd(handle_); }

std::uint64_t PcapReader::dropped() const {
    pcap_stat stats{};
    if (!live_ || pcap_stats(handle_, &stats) != 0) return 0;
    return stats.ps_drop;
}

ReadProgress PcapReader::progress() const {
    ReadProgress p;
    p.records = records_;
    p.total_bytes = total_bytes_;
    std::FILE* file = live_ ? nullptr : pcap_file(handle_);
    if (blocks_) {
        p.bytes_read = static_cast<std::int64_t>(blocks_->offset());
    } else if (file != nullptr) {
        p.bytes_read = std::ftell(file);
    }
    return p;
}

}  // namespace tcplab::analyzer
