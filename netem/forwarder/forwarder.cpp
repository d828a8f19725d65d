#include "netem/forwarder/forwarder.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <optional>
#include <set>
#include <vector>

#include "base/errors.hpp"
#include "base/netns.hpp"
#include "netem/forwarder/detail/delay_queue.hpp"
#include "netem/forwarder/detail/fault_decider.hpp"
#include "netem/forwarder/detail/neighbours.hpp"
#include "netem/forwarder/detail/packet_names.hpp"
#include "netem/forwarder/detail/token_bucket.hpp"
#include "netem/impair/ledger.hpp"
#include "packet/byte_io.hpp"
#include "packet/checksum.hpp"
#include "packet/dissect.hpp"
#include "packet/ipv4.hpp"
#include "packet/link.hpp"

namespace tcplab::netem {

namespace {

constexpr std::uint16_t kDefaultLimit = 1000;  // netem's default queue limit, in packets
constexpr std::size_t kMaxUnresolved = 256;
constexpr MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// netem does its work in the kernel's softirq, ahead of every task; a forwarder thread that waits
// for a CPU behind the traffic's own tasks (TLS, captures, a sanitizer build, other jobs) adds
// tens of milliseconds the scenario never configured, and swaps nothing but time. A real-time
// priority (the lowest: it only has to beat ordinary tasks; the kernel's RT throttling still
// leaves 5% to everyone else) keeps the path's delay the configured one under load. Without the
// privilege (CAP_SYS_NICE, an RT budget in the cgroup) the thread stays as it was.
bool become_realtime() {
    sched_param param{};
    param.sched_priority = sched_get_priority_min(SCHED_FIFO);
    return ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &param) == 0;
}

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The router's own addresses: traffic to them is the router kernel's business, not forwarded.
std::set<packet::IpAddress> local_addresses() {
    std::set<packet::IpAddress> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        throw SystemError(std::string("getifaddrs in the router namespace: ") +
                          std::strerror(errno));
    }
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr) {
            continue;
        }
        if (a->ifa_addr->sa_family == AF_INET) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
            out.insert(packet::IpAddress::v4(ntohl(in->sin_addr.s_addr)));
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
            out.insert(packet::IpAddress::v6_bytes(in6->sin6_addr.s6_addr));
        }
    }
    ::freeifaddrs(list);
    return out;
}

// Completes a partial TCP/UDP checksum (the sender relied on checksum offload).
void complete_checksum(std::span<std::uint8_t> frame, const packet::Dissected& d) {
    std::size_t field = 0;
    if (d.protocol == packet::kIpProtoTcp) {
        field = d.transport_offset + 16;
    } else if (d.protocol == packet::kIpProtoUdp) {
        field = d.transport_offset + 6;
    } else {
        return;
    }
    const std::size_t end = d.transport_offset + d.transport_length;
    if (d.is_fragment || end > frame.size() || field + 2 > end) {
        return;
    }
    packet::store_be16(&frame[field], 0);
    packet::PseudoHeader ph{d.src, d.dst, d.protocol, d.transport_length};
    std::uint16_t sum =
        packet::transport_checksum(ph, frame.subspan(d.transport_offset, d.transport_length));
    if (d.protocol == packet::kIpProtoUdp && sum == 0) {
        sum = 0xffff;
    }
    packet::store_be16(&frame[field], sum);
}

// Decrements TTL / hop limit (RFC 1624 incremental update of the IPv4 header checksum).
// Returns false when the packet must not be forwarded (TTL would reach 0).
bool decrement_ttl(std::span<std::uint8_t> frame, const packet::Dissected& d) {
    if (d.ip_version == 4) {
        std::uint8_t* ip = &frame[d.ip_offset];
        if (ip[8] <= 1) {
            return false;
        }
        --ip[8];
        // TTL is the high byte of the 16-bit word at offset 8: the sum grows by 0x0100.
        std::uint32_t sum = packet::load_be16(ip + 10) + 0x0100u;
        sum = (sum & 0xffff) + (sum >> 16);
        packet::store_be16(ip + 10, static_cast<std::uint16_t>(sum));
        return true;
    }
    std::uint8_t* hop = &frame[d.ip_offset + 7];
    if (*hop <= 1) {
        return false;
    }
    --*hop;
    return true;
}

// Flips one bit: in the transport payload when there is one, else in the transport checksum
// (same effect on the receiver, and the packet keeps its identity for the ledger and the diff).
void corrupt_frame(std::span<std::uint8_t> frame, const packet::Dissected& d, std::uint64_t bits) {
    std::size_t header = 8;
    std::size_t checksum_at = d.transport_offset + 6;
    if (d.is_tcp) {
        header = d.tcp.header_length();
        checksum_at = d.transport_offset + 16;
    } else if (d.protocol == 1 || d.protocol == 58) {
        checksum_at = d.transport_offset + 2;
    }
    const std::size_t payload_start = d.transport_offset + header;
    const std::size_t payload_end = std::min(frame.size(), d.transport_offset + d.transport_length);
    const auto bit = static_cast<std::uint8_t>(1u << ((bits >> 40) % 8));
    if (payload_end > payload_start) {
        frame[payload_start + (bits % (payload_end - payload_start))] ^= bit;
    } else if (checksum_at + 2 <= frame.size()) {
        frame[checksum_at + ((bits >> 48) & 1)] ^= bit;
    }
}

std::string delay_reason(const DirectionImpairment& m, double delay_ms) {
    char buf[96];
    if (m.jitter_ms > 0) {
        std::snprintf(buf, sizeof buf, "delay %g ms +- %g ms -> %.3f ms", m.delay_ms, m.jitter_ms,
                      delay_ms);
    } else {
        std::snprintf(buf, sizeof buf, "delay %g ms", delay_ms);
    }
    return buf;
}

// Everything the forwarding thread owns. Lives entirely inside the router namespace.
class Engine {
public:
    explicit Engine(const ForwarderConfig& config)
        : config_(config),
          sides_{Side{FrameSocket(config.client_interface),
                      config.client_mac,
                      {},
                      {},
                      0,
                      nullptr,
                      interface_addresses(config.client_interface)},
                 Side{FrameSocket(config.server_interface),
                      config.server_mac,
                      {},
                      {},
                      0,
                      nullptr,
                      interface_addresses(config.server_interface)}},
          lanes_{make_lane(Direction::client_to_server, 0, 1),
                 make_lane(Direction::server_to_client, 1, 0)},
          locals_(local_addresses()),
          start_ns_(now_ns()) {
        if (!config.ledger_path.empty()) {
            ledger_.emplace(config.ledger_path);
        }
    }

    void loop(const std::atomic<bool>& stop_requested) {
        std::optional<std::int64_t> drain_deadline;
        while (true) {
            const bool stopping = stop_requested.load(std::memory_order_relaxed);
            if (stopping && !drain_deadline) {
                drain_deadline =
                    now_ns() + static_cast<std::int64_t>(config_.drain_timeout_s * 1e9);
            }
            if (drain_deadline && (queues_empty() || now_ns() >= *drain_deadline)) {
                break;
            }
            wait(stopping ? 1'000'000 : 20'000'000);
            if (!stopping) {
                for (Lane& lane : lanes_) {
                    receive_lane(lane);
                }
            }
            for (Lane& lane : lanes_) {
                release_due(lane);
            }
            for (Side& side : sides_) {
                solicit(side);
            }
        }
        for (Lane& lane : lanes_) {
            lane.stats.ring_drops += sides_[lane.in].socket.take_ring_drops();
            lane.stats.overtaken += lane.queue.overtaken();
        }
        if (ledger_) {
            ledger_->flush();
        }
    }

    ForwarderStats stats() const {
        ForwarderStats s;
        s.client_to_server = lanes_[0].stats;
        s.server_to_client = lanes_[1].stats;
        s.not_forwarded = not_forwarded_;
        s.ledger_lines = ledger_ ? ledger_->lines() : 0;
        return s;
    }

private:
    struct Lane;
    struct Side {
        FrameSocket socket;
        std::optional<MacAddress> neighbour;
        RxBatch rx;
        // Frames waiting for the neighbour's MAC (sent once it is learned), like the kernel's
        // unresolved-neighbour queue; and when we last asked for it.
        std::vector<std::vector<std::uint8_t>> unresolved;
        std::int64_t last_question_ns = 0;
        Lane* unresolved_lane = nullptr;
        InterfaceAddresses own;  // the router's addresses on this interface (ARP / NS sender)
    };
    struct Lane {
        Direction dir;
        std::size_t in;
        std::size_t out;
        DirectionImpairment model;
        FaultDecider decider;
        PacketNames names;
        DelayQueue queue;
        std::optional<TokenBucket> bucket;
        std::uint32_t limit;
        DirectionStats stats;
    };

    Lane make_lane(Direction dir, std::size_t in, std::size_t out) const {
        const DirectionImpairment& m = config_.impairment.get(dir);
        const std::uint64_t seed = config_.seed.value_or(config_.impairment.seed);
        std::uint32_t limit = m.limit_packets;
        if (limit == 0) {
            // Never let the queue be the bottleneck by accident: room for twice rate x delay.
            double bdp = 0;
            if (m.rate_bps > 0) {
                bdp = static_cast<double>(m.rate_bps) / 8 * (m.delay_ms + 4 * m.jitter_ms) / 1000 /
                      1500;
            }
            limit = std::max<std::uint32_t>(kDefaultLimit, static_cast<std::uint32_t>(2 * bdp + 1));
        }
        std::optional<TokenBucket> bucket;
        if (m.rate_bps > 0) {
            bucket.emplace(m.rate_bps, 1514);
        }
        return Lane{dir,   in, out, m, FaultDecider(seed, dir, m), {}, {}, std::move(bucket),
                    limit, {}};
    }

    bool queues_empty() const { return lanes_[0].queue.empty() && lanes_[1].queue.empty(); }

    void wait(std::int64_t max_ns) {
        std::int64_t timeout = max_ns;
        const std::int64_t now = now_ns();
        for (const Lane& lane : lanes_) {
            if (auto next = lane.queue.next_release()) {
                timeout = std::min(timeout, std::max<std::int64_t>(0, *next - now));
            }
        }
        if (timeout == 0) {
            return;
        }
        pollfd fds[2] = {{sides_[0].socket.fd(), POLLIN, 0}, {sides_[1].socket.fd(), POLLIN, 0}};
        timespec ts{static_cast<time_t>(timeout / 1'000'000'000),
                    static_cast<long>(timeout % 1'000'000'000)};
        if (::ppoll(fds, 2, &ts, nullptr) < 0 && errno != EINTR) {
            throw SystemError(std::string("ppoll in the forwarder: ") + std::strerror(errno));
        }
    }

    void receive_lane(Lane& lane) {
        Side& in = sides_[lane.in];
        // A bounded number of batches per turn, so one busy direction cannot starve the other.
        for (int round = 0; round < 8; ++round) {
            const std::size_t n = in.socket.receive(in.rx);
            if (n == 0) {
                break;
            }
            const std::int64_t now = now_ns();
            direct_.clear();
            for (RxFrame& f : in.rx.frames()) {
                handle(lane, in, f, now);
            }
            send(lane, direct_);
            in.socket.release(in.rx);  // sent (or copied into a queue): the slots go back
            if (n < RxBatch::kBatch) {
                break;
            }
        }
    }

    void handle(Lane& lane, Side& in, RxFrame& f, std::int64_t now) {
        if (f.packet_type == PACKET_OUTGOING || f.length < packet::kEthernetHeaderLength) {
            return;
        }
        learn_neighbour(in, f);
        if (!carries_ip_for_us(f)) {
            ++not_forwarded_;
            return;
        }
        std::span<std::uint8_t> frame(f.data, f.length);
        auto parsed = packet::dissect(packet::LinkType::ethernet, frame);
        if (!parsed || !routes(*parsed)) {
            ++not_forwarded_;  // not IP we can route, or not ours to route: the kernel's business
            return;
        }
        const packet::Dissected& d = *parsed;
        ++lane.stats.received;
        if (f.truncated) {
            record(lane, frame, "queue_drop",
                   "frame longer than " + std::to_string(in.socket.max_frame()) +
                       " bytes (GSO/TSO on at the sender?)",
                   now);
            ++lane.stats.queue_drops;
            return;
        }
        if (!decrement_ttl(frame, d)) {
            ++lane.stats.ttl_expired;
            return;
        }
        if (f.checksum_partial) {
            complete_checksum(frame, d);
        }
        Decision decision;
        if (!lane.decider.is_pass_through()) {
            decision = lane.decider.decide(lane.names.facts_of(d, frame), ms_since_start(now));
        }
        apply(lane, frame, d, decision, now);
    }

    // A unicast source MAC is the neighbour on this side; frames held for it can go now.
    void learn_neighbour(Side& in, const RxFrame& f) {
        if ((f.data[6] & 1) != 0) {
            return;
        }
        MacAddress src;
        std::memcpy(src.data(), f.data + 6, 6);
        const bool was_unknown = !in.neighbour;
        in.neighbour = src;
        if (was_unknown && !in.unresolved.empty()) {
            flush_unresolved(in);
        }
    }

    // Addressed to this router's MAC and carrying IPv4 or IPv6.
    static bool carries_ip_for_us(const RxFrame& f) {
        const std::uint16_t ether_type = packet::load_be16(f.data + 12);
        return f.packet_type == PACKET_HOST &&
               (ether_type == packet::kEtherTypeIpv4 || ether_type == packet::kEtherTypeIpv6);
    }

    // IP bound elsewhere: neither to the router itself nor link-scoped or multicast.
    bool routes(const packet::Dissected& d) const {
        return (d.ip_version == 4 || d.ip_version == 6) && locals_.count(d.dst) == 0 &&
               !d.dst.is_scoped_or_group();
    }

    // Carries out the decider's verdict in netem's order: drop, duplicate, corrupt, then either
    // reorder (out at once) or delay and rate.
    void apply(Lane& lane, std::span<std::uint8_t> frame, const packet::Dissected& d,
               const Decision& decision, std::int64_t now) {
        if (decision.verdict == Verdict::drop) {
            ++lane.stats.dropped;
            record(lane, frame, "drop", decision.reason, now, decision.transmission);
            return;
        }
        rewrite_macs(lane, frame);
        // netem order: the copy is taken before corruption, so only the original is damaged.
        if (decision.duplicate) {
            record(lane, frame, "duplicate", "duplicate " + percent(lane.model.duplicate_percent),
                   now, decision.transmission);
            ++lane.stats.duplicated;
            enqueue(lane, frame, now + to_ns(decision.duplicate_delay_ms), now, false);
        }
        if (decision.corrupt) {
            record(lane, frame, "corrupt", "corrupt " + percent(lane.model.corrupt_percent), now,
                   decision.transmission);
            corrupt_frame(frame, d, decision.corrupt_bits);
            ++lane.stats.corrupted;
        }
        if (decision.reorder) {
            record(lane, frame, "reorder",
                   "reorder " + percent(lane.model.reorder_percent) + " gap " +
                       std::to_string(std::max<std::uint32_t>(1, lane.model.reorder_gap)),
                   now, decision.transmission);
            ++lane.stats.reordered;
            lane.stats.overtaken += lane.queue.size();
            direct_.push_back(frame);  // netem: a reordered packet goes out at once
            return;
        }
        delay_and_send(lane, frame, decision, now);
    }

    // Holds the frame for its delay and the rate's token bucket; sends it now when neither
    // applies and nothing is queued ahead of it.
    void delay_and_send(Lane& lane, std::span<const std::uint8_t> frame, const Decision& decision,
                        std::int64_t now) {
        if (decision.delay_ms > 0) {
            ++lane.stats.delayed;
            LedgerEntry* e =
                record(lane, frame, "delay", delay_reason(lane.model, decision.delay_ms), now,
                       decision.transmission);
            if (e != nullptr) {
                e->delay_ms = decision.delay_ms;
                flush_pending();
            }
        }
        std::int64_t release = now + to_ns(decision.delay_ms);
        if (lane.bucket) {
            release = lane.bucket->reserve(now, static_cast<std::uint32_t>(frame.size())) +
                      to_ns(decision.delay_ms);
        }
        if (release <= now && lane.queue.empty()) {
            direct_.push_back(frame);  // the fast path: no copy
            return;
        }
        enqueue(lane, frame, release, now, true);
    }

    void enqueue(Lane& lane, std::span<const std::uint8_t> frame, std::int64_t release,
                 std::int64_t now, bool original) {
        if (lane.queue.size() >= lane.limit) {
            ++lane.stats.queue_drops;
            record(lane, frame, "queue_drop",
                   std::string("queue limit ") + std::to_string(lane.limit) + " packets reached" +
                       (original ? "" : " (duplicate)"),
                   now);
            return;
        }
        lane.queue.push(release, std::vector<std::uint8_t>(frame.begin(), frame.end()));
    }

    void release_due(Lane& lane) {
        const std::int64_t now = now_ns();
        due_.clear();
        due_frames_.clear();
        while (auto f = lane.queue.pop_due(now)) {
            due_.push_back(std::move(f->bytes));
        }
        if (due_.empty()) {
            return;
        }
        for (auto& bytes : due_) {
            rewrite_macs(lane, bytes);  // the neighbour may have been learned meanwhile
            due_frames_.emplace_back(bytes.data(), bytes.size());
        }
        send(lane, due_frames_);
    }

    void send(Lane& lane, std::vector<std::span<const std::uint8_t>>& frames) {
        if (frames.empty()) {
            return;
        }
        Side& out = sides_[lane.out];
        if (!out.neighbour) {
            // TCP accepts only frames addressed to its own MAC, so nothing may leave before the
            // neighbour is known: hold the frames and ask for it (ARP), as a kernel router would.
            for (const auto& f : frames) {
                if (out.unresolved.size() >= kMaxUnresolved) {
                    ++lane.stats.queue_drops;
                    record(lane, f, "queue_drop",
                           "no neighbour MAC on " + out.socket.interface() + " yet", now_ns());
                    continue;
                }
                out.unresolved.emplace_back(f.begin(), f.end());
                out.unresolved_lane = &lane;
            }
            solicit(out);
            frames.clear();
            return;
        }
        failed_.clear();
        const std::size_t sent = sides_[lane.out].socket.send(frames, failed_);
        lane.stats.forwarded += sent;
        for (std::size_t i : failed_) {
            ++lane.stats.queue_drops;
            record(lane, frames[i], "queue_drop",
                   "egress " + sides_[lane.out].socket.interface() + " refused the frame",
                   now_ns());
        }
        frames.clear();
    }

    void flush_unresolved(Side& side) {
        if (side.unresolved_lane == nullptr) {
            return;
        }
        Lane& lane = *side.unresolved_lane;
        std::vector<std::vector<std::uint8_t>> held = std::move(side.unresolved);
        side.unresolved.clear();
        std::vector<std::span<const std::uint8_t>> frames;
        for (auto& bytes : held) {
            rewrite_macs(lane, bytes);
            frames.emplace_back(bytes.data(), bytes.size());
        }
        send(lane, frames);
    }

    // Asks for the neighbour that the first held frame is waiting for (ARP for IPv4, Neighbour
    // Solicitation for IPv6; at most one question per 200 ms). The answer, addressed to our MAC,
    // teaches us the neighbour like any other frame of that side (handle()).
    void solicit(Side& side) {
        const std::int64_t now = now_ns();
        if (side.unresolved.empty() || now - side.last_question_ns < 200'000'000) {
            return;
        }
        side.last_question_ns = now;
        const auto question =
            solicitation_for(side.unresolved.front(), side.socket.mac(), side.own);
        if (!question) {
            return;
        }
        std::vector<std::span<const std::uint8_t>> one{{question->data(), question->size()}};
        std::vector<std::size_t> failed;
        (void)side.socket.send(one, failed);
    }

    void rewrite_macs(const Lane& lane, std::span<std::uint8_t> frame) const {
        const Side& out = sides_[lane.out];
        const MacAddress& dst = out.neighbour ? *out.neighbour : kBroadcast;
        std::memcpy(frame.data(), dst.data(), 6);
        std::memcpy(frame.data() + 6, out.socket.mac().data(), 6);
    }

    // Writes one ledger line (summary taken from the frame as it is now). Returns the entry
    // still pending so the caller may add fields; flush_pending() or the next record writes it.
    LedgerEntry* record(const Lane& lane, std::span<const std::uint8_t> frame,
                        const std::string& action, const std::string& reason, std::int64_t now,
                        std::uint32_t transmission = 0) {
        flush_pending();
        if (!ledger_) {
            return nullptr;
        }
        auto summary = packet::record_of(packet::LinkType::ethernet, frame);
        if (!summary) {
            return nullptr;
        }
        pending_ = LedgerEntry{seconds_since_start(now),
                               lane.dir,
                               std::move(*summary),
                               action,
                               reason,
                               std::nullopt,
                               std::nullopt};
        if (transmission != 0) {
            pending_->transmission = transmission;
        }
        if (action != "delay") {
            flush_pending();
            return nullptr;
        }
        return &*pending_;
    }

    void flush_pending() {
        if (pending_ && ledger_) {
            ledger_->write(*pending_);
        }
        pending_.reset();
    }

    double ms_since_start(std::int64_t now) const {
        return static_cast<double>(now - start_ns_) / 1e6;
    }
    double seconds_since_start(std::int64_t now) const {
        return static_cast<double>(now - start_ns_) / 1e9;
    }
    static std::int64_t to_ns(double ms) {
        return static_cast<std::int64_t>(std::llround(ms * 1e6));
    }
    static std::string percent(double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g%%", v);
        return buf;
    }

    const ForwarderConfig& config_;
    std::array<Side, 2> sides_;
    std::array<Lane, 2> lanes_;
    std::set<packet::IpAddress> locals_;
    std::int64_t start_ns_;
    std::optional<LedgerWriter> ledger_;
    std::optional<LedgerEntry> pending_;
    std::uint64_t not_forwarded_ = 0;
    std::vector<std::span<const std::uint8_t>> direct_;
    std::vector<std::vector<std::uint8_t>> due_;
    std::vector<std::span<const std::uint8_t>> due_frames_;
    std::vector<std::size_t> failed_;
};

}  // namespace

Forwarder::Forwarder(ForwarderConfig config) : config_(std::move(config)) {
    if (config_.router_netns.empty() || config_.client_interface.empty() ||
        config_.server_interface.empty()) {
        throw UsageError("forwarder: router namespace and both interface names are required");
    }
}

Forwarder::~Forwarder() {
    if (thread_.joinable()) {
        try {
            (void)stop();
        } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
        }
    }
}

void Forwarder::start() {
    if (thread_.joinable()) {
        throw UsageError("forwarder already started");
    }
    stop_requested_ = false;
    failure_ = nullptr;
    std::promise<void> ready;
    std::future<void> started = ready.get_future();
    thread_ = std::thread([this, &ready] {
        bool announced = false;
        try {
            ScopedNetns inside(config_.router_netns);
            Engine engine(config_);
            const bool realtime = become_realtime();
            ready.set_value();
            announced = true;
            engine.loop(stop_requested_);
            result_ = engine.stats();
            result_.realtime = realtime;
        } catch (...) {
            if (announced) {
                failure_ = std::current_exception();
            } else {
                ready.set_exception(std::current_exception());
            }
        }
    });
    try {
        started.get();
    } catch (...) {
        thread_.join();
        throw;
    }
}

ForwarderStats Forwarder::stop() {
    if (!thread_.joinable()) {
        return result_;
    }
    stop_requested_ = true;
    thread_.join();
    if (failure_) {
        std::rethrow_exception(std::exchange(failure_, nullptr));
    }
    return result_;
}

}  // namespace tcplab::netem
