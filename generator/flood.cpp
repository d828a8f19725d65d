#include "generator/flood.hpp"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "generator/link_resolver.hpp"
#include "generator/pacer.hpp"
#include "generator/raw_socket.hpp"
#include "packet/builder.hpp"
#include "packet/errors.hpp"
#include "packet/link.hpp"
#include "packet/unique_fd.hpp"

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
        case FloodKind::syn: return "syn";
        case FloodKind::ack: return "ack";
        case FloodKind::udp: return "udp";
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
    if (options.duration && (options.duration->count() <= 0 || *options.duration > std::chrono::hours(1))) {
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

std::vector<std::vector<std::uint8_t>> build_flood_frames(const FloodOptions& options,
                                                          const packet::IpAddress& default_src,
                                                          const std::array<std::uint8_t, 6>& src_mac,
                                                          const std::array<std::uint8_t, 6>& dst_mac,
                                                          unsigned thread_index, std::size_t frames) {
    const std::uint64_t ports = std::uint64_t{options.sport_high} - options.sport_low + 1;
    const std::vector<std::uint8_t> payload(options.payload, 0);
    std::vector<std::vector<std::uint8_t>> out;
    out.reserve(frames);
    for (std::size_t i = 0; i < frames; ++i) {
        // Threads take interleaved slices of the address/port cycle, so they never send the
        // same 4-tuple at the same time.
        const std::uint64_t k = i * options.threads + thread_index;
        packet::IpParams ip;
        ip.src = options.src_range ? options.src_range->at(k % options.src_range->size()) : default_src;
        ip.dst = options.dst.address;
        ip.ttl = options.ttl;
        ip.identification = static_cast<std::uint16_t>(k);
        const auto sport = static_cast<std::uint16_t>(options.sport_low + k % ports);
        std::vector<std::uint8_t> l3;
        if (options.kind == FloodKind::udp) {
            packet::UdpHeader udp;
            udp.src_port = sport;
            udp.dst_port = options.dst.port;
            l3 = packet::build_udp_packet(ip, udp, payload);
        } else {
            packet::TcpHeader tcp;
            tcp.src_port = sport;
            tcp.dst_port = options.dst.port;
            // Spread sequence numbers (Knuth's multiplicative hash) like a real SYN flood does.
            tcp.seq = packet::SeqNum(static_cast<std::uint32_t>(k * 2654435761u));
            tcp.window = 64240;
            if (options.kind == FloodKind::syn) {
                tcp.flags = packet::tcp_flag::kSyn;
            } else {
                tcp.flags = packet::tcp_flag::kAck;
                tcp.ack = packet::SeqNum(static_cast<std::uint32_t>(k * 40503u + 1));
            }
            l3 = packet::build_tcp_packet(ip, tcp, {});
        }
        packet::EthernetHeader eth;
        eth.src = src_mac;
        eth.dst = dst_mac;
        eth.ether_type = ip.src.is_v4() ? packet::kEtherTypeIpv4 : packet::kEtherTypeIpv6;
        std::vector<std::uint8_t> frame;
        packet::write_ethernet(eth, frame);
        frame.insert(frame.end(), l3.begin(), l3.end());
        out.push_back(std::move(frame));
    }
    return out;
}

namespace {

constexpr std::size_t kFramesPerThread = 1024;

struct SharedCounters {
    std::atomic<std::uint64_t> packets{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<unsigned> running{0};
    std::atomic<Clock::rep> last_finish{0};  // time_since_epoch of the last sender to stop
    std::mutex failure_mutex;
    std::exception_ptr failure;
};

struct SenderPlan {
    std::vector<std::vector<std::uint8_t>> frames;
    std::optional<std::uint64_t> count;
    Clock::time_point end;
    double rate = 0;
    unsigned batch = 64;
    int ifindex = 0;
    std::uint16_t ether_type = 0;
    MacAddress dst_mac{};
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

void sender(const SenderPlan& plan, int fd, SharedCounters& counters, Clock::time_point start) {
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = plan.ifindex;
    address.sll_protocol = htons(plan.ether_type);
    address.sll_halen = 6;
    std::memcpy(address.sll_addr, plan.dst_mac.data(), 6);
    const std::size_t n_frames = plan.frames.size();
    std::vector<iovec> iov(n_frames);
    std::vector<mmsghdr> messages(n_frames);
    for (std::size_t i = 0; i < n_frames; ++i) {
        iov[i].iov_base = const_cast<std::uint8_t*>(plan.frames[i].data());
        iov[i].iov_len = plan.frames[i].size();
        messages[i].msg_hdr.msg_name = &address;
        messages[i].msg_hdr.msg_namelen = sizeof address;
        messages[i].msg_hdr.msg_iov = &iov[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    const std::uint64_t frame_bytes = plan.frames.empty() ? 0 : plan.frames[0].size();
    Pacer pacer(plan.rate, start);
    std::size_t next = 0;
    std::uint64_t attempted = 0;
    std::uint64_t packets = 0;
    std::uint64_t errors = 0;
    auto publish = [&] {
        counters.packets.fetch_add(packets, std::memory_order_relaxed);
        counters.errors.fetch_add(errors, std::memory_order_relaxed);
        counters.bytes.fetch_add(packets * frame_bytes, std::memory_order_relaxed);
        packets = 0;
        errors = 0;
    };
    unsigned since_publish = 0;
    for (;;) {
        const auto now = Clock::now();
        if (now >= plan.end || (plan.count && attempted >= *plan.count)) {
            break;
        }
        std::uint32_t want = plan.batch;
        if (plan.count) {
            want = static_cast<std::uint32_t>(std::min<std::uint64_t>(want, *plan.count - attempted));
        }
        want = static_cast<std::uint32_t>(std::min<std::size_t>(want, n_frames - next));
        const std::uint32_t n = pacer.due(now, want);
        if (n == 0) {
            const auto wait = std::min<Clock::duration>(pacer.wait(now), plan.end - now);
            // Sleep through long gaps, spin through short ones (sleep granularity is ~60 us).
            if (wait > std::chrono::microseconds(200)) {
                std::this_thread::sleep_for(wait - std::chrono::microseconds(100));
            }
            continue;
        }
        const int sent = ::sendmmsg(fd, &messages[next], n, 0);
        if (sent < 0) {
            const int err = errno;
            if (err != ENOBUFS && err != EAGAIN && err != EINTR && err != ENETDOWN && err != ENXIO) {
                publish();
                throw SystemError(std::string("sendmmsg: ") + std::strerror(err));
            }
            errors += n;
        } else {
            packets += static_cast<std::uint64_t>(sent);
            errors += n - static_cast<std::uint32_t>(sent);
        }
        // Refused frames count as sent for pacing and --count: a flood never retries forever.
        pacer.sent(n);
        attempted += n;
        next = (next + n) % n_frames;
        if (++since_publish >= 16) {
            publish();
            since_publish = 0;
        }
    }
    publish();
}

}  // namespace

FloodResult run_flood(const FloodOptions& options,
                      const std::function<void(const FloodProgress&)>& progress) {
    validate(options);
    // Fail on privileges before touching anything else.
    (void)open_flood_socket();
    const EgressPath path = resolve_egress(options.dst.address, std::chrono::seconds(3));
    if (!options.src_range && path.source.family != options.dst.address.family) {
        throw UsageError("no source address for " + options.dst.address.to_string() + "; give --src-range");
    }
    std::vector<SenderPlan> plans(options.threads);
    std::vector<UniqueFd> sockets;
    for (unsigned t = 0; t < options.threads; ++t) {
        auto& plan = plans[t];
        std::size_t frames = kFramesPerThread;
        if (options.count) {
            // Small floods: exactly the frames needed, so --count 3 sends 3 distinct packets.
            frames = std::min<std::uint64_t>(frames, std::max<std::uint64_t>(1, *options.count / options.threads + 1));
        }
        plan.frames = build_flood_frames(options, path.source, path.source_mac, path.next_hop_mac, t, frames);
        if (options.count) {
            plan.count = *options.count / options.threads + (t < *options.count % options.threads ? 1 : 0);
        }
        plan.rate = options.rate / options.threads;
        plan.batch = options.batch;
        plan.ifindex = path.ifindex;
        plan.ether_type = options.dst.address.is_v4() ? ETH_P_IP : ETH_P_IPV6;
        plan.dst_mac = path.next_hop_mac;
        sockets.push_back(open_flood_socket());
    }
    SharedCounters counters;
    const auto start = Clock::now();
    const auto end = options.duration ? start + *options.duration : Clock::time_point::max();
    std::vector<std::thread> threads;
    counters.running = options.threads;
    for (unsigned t = 0; t < options.threads; ++t) {
        plans[t].end = end;
        threads.emplace_back([&, t] {
            try {
                sender(plans[t], sockets[t].get(), counters, start);
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
    result.bytes = counters.bytes.load();
    result.interface = path.interface;
    result.frame_size = plans.empty() || plans[0].frames.empty() ? 0 : plans[0].frames[0].size();
    return result;
}

}  // namespace tcplab::gen
