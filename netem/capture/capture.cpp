#include "netem/capture/capture.hpp"

#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "base/errors.hpp"
#include "base/netns.hpp"

namespace tcplab::netem {

namespace {

struct PcapClose {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
struct DumperClose {
    void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapClose>;
using DumperPtr = std::unique_ptr<pcap_dumper_t, DumperClose>;

struct DumpTarget {
    pcap_dumper_t* dumper;
    std::uint64_t* written;
};

void on_packet(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    auto* target = reinterpret_cast<DumpTarget*>(user);
    pcap_dump(reinterpret_cast<u_char*>(target->dumper), header, bytes);
    ++*target->written;
}

// Reads until the ring is empty (the handle is non-blocking). Throws on a libpcap error.
void drain(pcap_t* pcap, DumpTarget& target, const std::string& where) {
    while (true) {
        const int n = pcap_dispatch(pcap, -1, on_packet, reinterpret_cast<u_char*>(&target));
        if (n == PCAP_ERROR) {
            throw SystemError("capture on " + where + ": " + pcap_geterr(pcap));
        }
        if (n <= 0) {
            return;
        }
    }
}

void check(int rc, pcap_t* pcap, const std::string& what, const std::string& where) {
    if (rc == 0) {
        return;
    }
    throw SystemError("capture on " + where + ": " + what + ": " + pcap_statustostr(rc) + " " +
                      pcap_geterr(pcap));
}

// A non-blocking handle on options.interface, active (and filtered) on return.
PcapPtr open_handle(const CaptureOptions& options, const std::string& where) {
    std::array<char, PCAP_ERRBUF_SIZE> err{};
    PcapPtr pcap(pcap_create(options.interface.c_str(), err.data()));
    if (!pcap) {
        throw EnvironmentError("capture on " + where + ": " + err.data());
    }
    check(pcap_set_snaplen(pcap.get(), options.snaplen), pcap.get(), "snaplen", where);
    check(pcap_set_immediate_mode(pcap.get(), 1), pcap.get(), "immediate mode", where);
    check(pcap_set_buffer_size(pcap.get(), options.buffer_bytes), pcap.get(), "buffer size", where);
    check(pcap_set_promisc(pcap.get(), 0), pcap.get(), "promiscuous mode", where);
    const int act = pcap_activate(pcap.get());
    if (act < 0) {
        const std::string msg =
            "capture on " + where + ": " + pcap_statustostr(act) + ": " + pcap_geterr(pcap.get());
        if (act == PCAP_ERROR_PERM_DENIED || act == PCAP_ERROR_NO_SUCH_DEVICE) {
            throw EnvironmentError(msg + (act == PCAP_ERROR_PERM_DENIED ? " (needs root)" : ""));
        }
        throw SystemError(msg);
    }
    if (!options.filter.empty()) {
        bpf_program program{};
        if (pcap_compile(pcap.get(), &program, options.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) !=
            0) {
            throw UsageError("capture filter '" + options.filter + "': " + pcap_geterr(pcap.get()));
        }
        const int rc = pcap_setfilter(pcap.get(), &program);
        pcap_freecode(&program);
        check(rc, pcap.get(), "set filter", where);
    }
    if (pcap_setnonblock(pcap.get(), 1, err.data()) != 0) {
        throw SystemError("capture on " + where + ": non-blocking mode: " + err.data());
    }
    return pcap;
}

// Dumps packets until stop_fd is readable, then takes what the kernel still holds, including
// packets in flight on the veth that arrive within a short grace period.
void dump_until_stopped(pcap_t* pcap, int pcap_fd, int stop_fd, DumpTarget& target,
                        const std::string& where) {
    while (true) {
        std::array<pollfd, 2> pfds{{{pcap_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}}};
        const int n = ::poll(pfds.data(), pfds.size(), 100);
        if (n < 0 && errno != EINTR) {
            throw SystemError(std::string("capture poll: ") + std::strerror(errno));
        }
        drain(pcap, target, where);
        if (pfds[1].revents != 0) {
            break;
        }
    }
    for (int round = 0; round < 3; ++round) {
        drain(pcap, target, where);
        pollfd pfd{pcap_fd, POLLIN, 0};
        (void)::poll(&pfd, 1, 20);
    }
    drain(pcap, target, where);
}

// libpcap's own counters: what the filter saw and what the kernel dropped.
void read_kernel_counters(pcap_t* pcap, CaptureStats& stats, const std::string& where) {
    pcap_stat ps{};
    if (pcap_stats(pcap, &ps) != 0) {
        throw SystemError("capture on " + where + ": pcap_stats: " + pcap_geterr(pcap));
    }
    stats.received = ps.ps_recv;
    stats.dropped = ps.ps_drop;
    stats.if_dropped = ps.ps_ifdrop;
}

// Flushes and closes the partial file, then gives it its final name.
void publish_file(DumperPtr dumper, const std::filesystem::path& partial,
                  const std::filesystem::path& file) {
    if (pcap_dump_flush(dumper.get()) != 0) {
        throw SystemError("capture output " + partial.string() + ": write failed");
    }
    dumper.reset();  // closes the file
    std::error_code ec;
    std::filesystem::rename(partial, file, ec);
    if (ec) {
        throw SystemError("capture output: cannot rename " + partial.string() + " to " +
                          file.string() + ": " + ec.message());
    }
}

}  // namespace

Capture::Capture(CaptureOptions options) : options_(std::move(options)) {}

std::filesystem::path Capture::partial_file() const { return options_.file.string() + ".part"; }

Capture::~Capture() {
    if (running()) {
        try {
            (void)stop();
        } catch (...) {  // a destructor must not throw
        }
    }
}

void Capture::start() {
    if (running()) {
        throw SystemError("capture on " + options_.interface + " already started");
    }
    stop_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop_fd_) {
        throw SystemError(std::string("eventfd: ") + std::strerror(errno));
    }
    failure_ = nullptr;
    stats_ = {};
    // A file left by an earlier run must not pass for this capture's result.
    std::error_code ec;
    std::filesystem::remove(options_.file, ec);
    std::promise<void> started;
    auto ready = started.get_future();
    thread_ = std::thread([this, &started] { run(started); });
    try {
        ready.get();
    } catch (...) {
        thread_.join();
        throw;
    }
}

void Capture::run(std::promise<void>& started) {
    const std::string where =
        (options_.netns.empty() ? "" : options_.netns + "/") + options_.interface;
    bool signalled = false;
    try {
        std::optional<ScopedNetns> inside;
        if (!options_.netns.empty()) {
            inside.emplace(options_.netns);
        }
        const PcapPtr pcap = open_handle(options_, where);
        const int pcap_fd = pcap_get_selectable_fd(pcap.get());
        if (pcap_fd < 0) {
            throw SystemError("capture on " + where + ": no selectable descriptor");
        }
        DumperPtr dumper(pcap_dump_open(pcap.get(), partial_file().c_str()));
        if (!dumper) {
            throw UsageError("capture output " + partial_file().string() + ": " +
                             pcap_geterr(pcap.get()));
        }
        DumpTarget target{dumper.get(), &stats_.written};
        started.set_value();
        signalled = true;

        dump_until_stopped(pcap.get(), pcap_fd, stop_fd_.get(), target, where);
        read_kernel_counters(pcap.get(), stats_, where);
        publish_file(std::move(dumper), partial_file(), options_.file);
    } catch (...) {
        if (!signalled) {
            started.set_exception(std::current_exception());
        } else {
            failure_ = std::current_exception();
        }
    }
}

CaptureStats Capture::stop() {
    if (!running()) {
        throw SystemError("capture on " + options_.interface + " was not started");
    }
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_.get(), &one, sizeof one);
    thread_.join();
    stop_fd_.reset();
    if (failure_) {
        std::rethrow_exception(std::exchange(failure_, nullptr));
    }
    return stats_;
}

}  // namespace tcplab::netem
