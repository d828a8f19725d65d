#include "generator/flood.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "base/errors.hpp"
#include "base/unique_fd.hpp"
#include "generator/detail/flood_frames.hpp"
#include "generator/detail/link_resolver.hpp"
#include "generator/detail/pacer.hpp"
#include "generator/detail/raw_socket.hpp"
#include "generator/detail/tx_ring.hpp"

namespace tcplab::gen {

using Clock = std::chrono::steady_clock;

FloodKind parse_flood_kind(const std::string& text) {
    if (text == "syn") return FloodKind::syn;
    if (text == "ack") return FloodKind::ack;
    if (text == "udp") return FloodKind::udp;
    throw UsageError("--kind '" + text + "': expected syn, ack or udp");
}

const char* to_string(FloodKind kind) {
    switch (kind) {
        case FloodKind::syn:
            return "syn";
        case FloodKind::ack:
            return "ack";
        case FloodKind::udp:
            return "udp";
    }
    return "?";
}

FloodTx parse_flood_tx(const std::string& text) {
    if (text == "auto") return FloodTx::automatic;
    if (text == "ring") return FloodTx::ring;
    if (text == "sendmmsg") return FloodTx::sendmmsg;
    throw UsageError("--tx '" + text + "': expected auto, ring or sendmmsg");
}

const char* to_string(FloodTx tx) {
    switch (tx) {
        case FloodTx::automatic:
            return "auto";
        case FloodTx::ring:
            return "ring";
        case FloodTx::sendmmsg:
            return "sendmmsg";
    }
    return "?";
}

void validate(const FloodOptions& options) {
    if (!options.count && !options.duration) {
        throw UsageError("a flood needs a bound: give --count N or --duration S (or both)");
    }
    if (options.count && *options.count == 0) {
        throw UsageError("--count must be positive");
    }
    if (options.duration &&
        (options.duration->count() <= 0 || *options.duration > std::chrono::hours(1))) {
        throw UsageError("--duration must be in (0, 3600] seconds");
    }
    if (options.threads == 0 || options.threads > 64) {
        throw UsageError("--threads must be 1..64");
    }
    if (options.batch == 0 || options.batch > 1024) {
        throw UsageError("--batch must be 1..1024");
    }
    if (options.rate < 0) {
        throw UsageError("--rate must be positive or 'max'");
    }
    if (options.sport_low == 0 || options.sport_high < options.sport_low) {
        throw UsageError("--sport-range must be LOW-HIGH with 1 <= LOW <= HIGH");
    }
    if (options.dst.port == 0) {
        throw UsageError("--dst needs a port other than 0");
    }
    if (options.src_range && options.src_range->base.family != options.dst.address.family) {
        throw UsageError("--src-range and --dst are not of the same address family");
    }
    if (options.kind != FloodKind::udp && options.payload != 0) {
        throw UsageError("--payload applies to --kind udp only");
    }
    if (options.payload > 1400) {
        throw UsageError("--payload must be at most 1400 bytes (one frame, no fragmentation)");
    }
}

namespace {

constexpr std::size_t kFramesPerThread = 1024;  // sendmmsg: the cycle of prebuilt frames
constexpr std::size_t kRingSlots = 4096;  // ring: slots per thread (512 KiB of 128-byte slots)
constexpr auto kRingStall = std::chrono::seconds(1);  // no slot back for this long: give up

struct SharedCounters {
    std::atomic<std::uint64_t> packets{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<unsigned> running{0};
    std::atomic<Clock::rep> last_finish{0};  // time_since_epoch of the last sender to stop
    std::mutex failure_mutex;
    std::exception_ptr failure;
};

struct SenderPlan {
    const FloodFrames* frames = nullptr;
    unsigned thread_index = 0;
    unsigned threads = 1;
    std::optional<std::uint64_t> count;
    Clock::time_point start;
    Clock::time_point end;
    double rate = 0;
    unsigned batch = 64;
    int ifindex = 0;
    std::uint16_t ether_type = 0;
    MacAddress dst_mac{};
};

// What one sender has done and not yet published; publish() moves it to the shared counters.
class SenderTally {
public:
    explicit SenderTally(SharedCounters& shared) : shared_(shared) {}
    ~SenderTally() { publish(); }
    SenderTally(const SenderTally&) = delete;
    SenderTally& operator=(const SenderTally&) = delete;
    void sent(std::uint64_t n) { packets_ += n; }
    void failed(std::uint64_t n) { errors_ += n; }
    void publish() {
        shared_.packets.fetch_add(std::exchange(packets_, 0), std::memory_order_relaxed);
        shared_.errors.fetch_add(std::exchange(errors_, 0), std::memory_order_relaxed);
    }

private:
    SharedCounters& shared_;
    std::uint64_t packets_ = 0;
    std::uint64_t errors_ = 0;
};

// How many frames a sender may hand over now: bounded by the batch, the count left and the
// pacer; 0 with the sender asleep through a long gap (spinning through short ones, since sleep
// granularity is ~60 us); nullopt when the flood is over (count or time reached).
class Pacing {
public:
    explicit Pacing(const SenderPlan& plan) : plan_(plan), pacer_(plan.rate, plan.start) {}
    std::optional<std::uint32_t> next() {
        const auto now = Clock::now();
        if (now >= plan_.end || (plan_.count && attempted_ >= *plan_.count)) {
            return std::nullopt;
        }
        std::uint32_t want = plan_.batch;
        if (plan_.count) {
            want = static_cast<std::uint32_t>(
                std::min<std::uint64_t>(want, *plan_.count - attempted_));
        }
        const std::uint32_t n = pacer_.due(now, want);
        if (n == 0) {
            const auto wait = std::min<Clock::duration>(pacer_.wait(now), plan_.end - now);
            if (wait > std::chrono::microseconds(200)) {
                std::this_thread::sleep_for(wait - std::chrono::microseconds(100));
            }
        }
        return n;
    }
    // Refused frames count as sent for pacing and --count: a flood never retries forever.
    void handed_over(std::uint32_t n) {
        pacer_.sent(n);
        attempted_ += n;
    }

private:
    const SenderPlan& plan_;
    Pacer pacer_;
    std::uint64_t attempted_ = 0;
};

UniqueFd open_flood_socket() {
    UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));  // protocol 0: send only
    if (!fd.valid()) {
        throw_socket_error("packet socket", errno);
    }
    const int one = 1;
    // Straight to the driver: the flood measures the generator, not the qdisc.
    (void)::setsockopt(fd.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    const int sndbuf = 4 << 20;
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return fd;
}

[[noreturn]] void interface_down(int err) {
    throw SystemError(std::string("flood: the interface refused frames: ") + std::strerror(err));
}

// The fallback: sendmmsg() over a cycle of frames prebuilt in user memory.
void mmsg_sender(const SenderPlan& plan, int fd, SharedCounters& counters) {
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = plan.ifindex;
    address.sll_protocol = htons(plan.ether_type);
    address.sll_halen = 6;
    std::memcpy(address.sll_addr, plan.dst_mac.data(), 6);
    std::size_t n_frames = kFramesPerThread;
    if (plan.count) {
        // Small floods: exactly the frames needed, so --count 3 sends 3 distinct packets.
        n_frames = std::min<std::uint64_t>(n_frames, std::max<std::uint64_t>(1, *plan.count));
    }
    const std::size_t frame_bytes = plan.frames->size();
    std::vector<std::uint8_t> storage(n_frames * frame_bytes);
    std::vector<iovec> iov(n_frames);
    std::vector<mmsghdr> messages(n_frames);
    for (std::size_t i = 0; i < n_frames; ++i) {
        std::uint8_t* frame = storage.data() + i * frame_bytes;
        std::memcpy(frame, plan.frames->bytes().data(), frame_bytes);
        plan.frames->write(std::uint64_t{i} * plan.threads + plan.thread_index, frame);
        iov[i] = {frame, frame_bytes};
        messages[i].msg_hdr.msg_name = &address;
        messages[i].msg_hdr.msg_namelen = sizeof address;
        messages[i].msg_hdr.msg_iov = &iov[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    SenderTally tally(counters);
    Pacing pacing(plan);
    std::size_t next = 0;
    unsigned since_publish = 0;
    while (const auto due = pacing.next()) {
        const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(*due, n_frames - next));
        if (n == 0) {
            continue;
        }
        const int sent = ::sendmmsg(fd, &messages[next], n, 0);
        if (sent < 0) {
            const int err = errno;
            if (err != ENOBUFS && err != EAGAIN && err != EINTR && err != ENETDOWN &&
                err != ENXIO) {
                throw SystemError(std::string("sendmmsg: ") + std::strerror(err));
            }
            tally.failed(n);
        } else {
            tally.sent(static_cast<std::uint64_t>(sent));
            tally.failed(n - static_cast<std::uint32_t>(sent));
        }
        pacing.handed_over(n);
        next = (next + n) % n_frames;
        if (++since_publish >= 16) {
            tally.publish();
            since_publish = 0;
        }
    }
}

// The main path: frames prebuilt in the ring's slots, rewritten in place, a batch per sendto().
// A frame counts as sent when its slot comes back from the kernel (on reuse, or at the drain).
void ring_sender(const SenderPlan& plan, TxRing& ring, SharedCounters& counters) {
    const std::size_t slots = ring.slots();
    const std::size_t frame_bytes = plan.frames->size();
    for (std::size_t i = 0; i < slots; ++i) {
        std::memcpy(ring.data(i), plan.frames->bytes().data(), frame_bytes);
    }
    std::vector<std::uint8_t> in_flight(slots, 0);
    SenderTally tally(counters);
    auto reclaim = [&](std::size_t slot) {
        if (in_flight[slot] != 0) {
            in_flight[slot] = 0;
            if (ring.rejected(slot)) {
                tally.failed(1);
            } else {
                tally.sent(1);
            }
        }
    };
    auto kick = [&] {
        const int err = ring.kick();
        if (err == ENETDOWN || err == ENXIO) {
            interface_down(err);
        }
        // ENOBUFS/EAGAIN: the refused frames stay submitted and go with the next kick.
    };
    Pacing pacing(plan);
    std::size_t next = 0;
    std::uint64_t k = plan.thread_index;
    unsigned since_publish = 0;
    while (const auto due = pacing.next()) {
        std::uint32_t queued = 0;
        while (queued < *due) {
            if (!ring.writable(next)) {
                if (queued > 0) {
                    break;  // send what is queued; the slot is free by the next round
                }
                // The ring is full: everything is with the kernel. Wait for the oldest frame.
                kick();
                const auto now = Clock::now();
                if (now >= plan.end) {
                    break;
                }
                const auto limit = std::min<Clock::duration>(kRingStall, plan.end - now);
                if (!ring.wait_writable(
                        next, std::chrono::duration_cast<std::chrono::microseconds>(limit)) &&
                    Clock::now() < plan.end) {
                    throw SystemError("flood: the tx ring sent nothing back for 1 s");
                }
                continue;
            }
            reclaim(next);
            plan.frames->write(k, ring.data(next));
            ring.submit(next, frame_bytes);
            in_flight[next] = 1;
            next = next + 1 == slots ? 0 : next + 1;
            k += plan.threads;
            ++queued;
        }
        if (queued > 0) {
            kick();
        }
        pacing.handed_over(queued);
        if (++since_publish >= 16) {
            tally.publish();
            since_publish = 0;
        }
    }
    // Drain: every submitted frame either goes out or is counted as an error.
    kick();
    const auto deadline = Clock::now() + kRingStall;
    for (std::size_t slot = 0; slot < slots; ++slot) {
        if (in_flight[slot] == 0) {
            continue;
        }
        const auto left =
            std::max<Clock::duration>(Clock::duration::zero(), deadline - Clock::now());
        if (ring.wait_writable(slot, std::chrono::duration_cast<std::chrono::microseconds>(left))) {
            reclaim(slot);
        } else {
            in_flight[slot] = 0;
            tally.failed(1);
        }
    }
}

// One sender thread's socket: a TX ring, or a plain packet socket for sendmmsg.
struct SenderSocket {
    std::unique_ptr<TxRing> ring;
    UniqueFd fd;
};

// The ring where asked for (or automatic), else the sendmmsg socket; `fallback_reason` says why
// the automatic choice fell back.
SenderSocket open_sender_socket(const FloodOptions& options, const SenderPlan& plan,
                                std::string& fallback_reason) {
    SenderSocket socket;
    if (options.tx != FloodTx::sendmmsg && fallback_reason.empty()) {
        try {
            std::size_t slots = kRingSlots;
            if (plan.count) {
                slots = std::min<std::uint64_t>(slots, std::max<std::uint64_t>(*plan.count, 64));
            }
            socket.ring =
                std::make_unique<TxRing>(plan.ifindex, plan.ether_type, plan.frames->size(), slots);
            return socket;
        } catch (const SystemError& e) {
            if (options.tx == FloodTx::ring) {
                throw;
            }
            fallback_reason = e.what();
        }
    }
    socket.fd = open_flood_socket();
    return socket;
}

}  // namespace

FloodResult run_flood(const FloodOptions& options,
                      const std::function<void(const FloodProgress&)>& progress) {
    validate(options);
    // Fail on privileges before touching anything else.
    (void)open_flood_socket();
    const EgressPath path = resolve_egress(options.dst.address, std::chrono::seconds(3));
    if (!options.src_range && path.source.family != options.dst.address.family) {
        throw UsageError("no source address for " + options.dst.address.to_string() +
                         "; give --src-range");
    }
    const FloodFrames frames(options, path.source, path.source_mac, path.next_hop_mac);
    std::vector<SenderPlan> plans(options.threads);
    std::vector<SenderSocket> sockets;
    std::string fallback_reason;
    for (unsigned t = 0; t < options.threads; ++t) {
        auto& plan = plans[t];
        plan.frames = &frames;
        plan.thread_index = t;
        plan.threads = options.threads;
        if (options.count) {
            plan.count =
                *options.count / options.threads + (t < *options.count % options.threads ? 1 : 0);
        }
        plan.rate = options.rate / options.threads;
        plan.batch = options.batch;
        plan.ifindex = path.ifindex;
        plan.ether_type = options.dst.address.is_v4() ? ETH_P_IP : ETH_P_IPV6;
        plan.dst_mac = path.next_hop_mac;
        sockets.push_back(open_sender_socket(options, plan, fallback_reason));
    }
    SharedCounters counters;
    const auto start = Clock::now();
    const auto end = options.duration ? start + *options.duration : Clock::time_point::max();
    std::vector<std::thread> threads;
    counters.running = options.threads;
    for (unsigned t = 0; t < options.threads; ++t) {
        plans[t].start = start;
        plans[t].end = end;
        threads.emplace_back([&, t] {
            try {
                if (sockets[t].ring) {
                    ring_sender(plans[t], *sockets[t].ring, counters);
                } else {
                    mmsg_sender(plans[t], sockets[t].fd.get(), counters);
                }
            } catch (...) {
                std::lock_guard lock(counters.failure_mutex);
                counters.failure = std::current_exception();
            }
            const auto finished = Clock::now().time_since_epoch().count();
            auto seen = counters.last_finish.load();
            while (seen < finished && !counters.last_finish.compare_exchange_weak(seen, finished)) {
            }
            counters.running.fetch_sub(1);
        });
    }
    auto next_report = start + std::chrono::milliseconds(500);
    while (counters.running.load() > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (progress && Clock::now() >= next_report) {
            progress({counters.packets.load(), counters.errors.load(), Clock::now() - start});
            next_report += std::chrono::milliseconds(500);
        }
    }
    for (auto& thread : threads) {
        thread.join();
    }
    if (counters.failure) {
        std::rethrow_exception(counters.failure);
    }
    FloodResult result;
    // Measured to when the last sender stopped, not to when this thread noticed.
    result.elapsed = Clock::time_point(Clock::duration(counters.last_finish.load())) - start;
    result.packets = counters.packets.load();
    result.errors = counters.errors.load();
    result.frame_size = frames.size();
    result.bytes = result.packets * frames.size();
    result.interface = path.interface;
    result.tx = sockets[0].ring ? FloodTx::ring : FloodTx::sendmmsg;
    result.fallback_reason = fallback_reason;
    return result;
}

}  // namespace tcplab::gen
