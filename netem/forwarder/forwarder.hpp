#pragma once
// Forwarder: the userspace impairment backend. In the router namespace (kernel forwarding off)
// it moves Ethernet frames between the interface toward the client and the one toward the
// server over AF_PACKET sockets, applying the impairment model of each direction on the way —
// the router's egress, like `tc netem` would — and writing every action to the ledger.
//
//   Forwarder fwd({.router_netns = "tl7-rtr", .client_interface = "veth-rc",
//                  .server_interface = "veth-rs", .impairment = model,
//                  .ledger_path = "out/ledger.jsonl"});
//   fwd.start();            // returns once both sockets are open (throws if they cannot be)
//   ... traffic ...
//   auto stats = fwd.stop();  // drains the delay queues, joins, flushes the ledger
//
// What is forwarded: IPv4/IPv6 frames addressed to the router's MAC (PACKET_HOST) whose
// destination is not one of the router's own addresses (nor multicast / link-local). ARP, ND and
// anything for the router itself is left to the router's kernel, which answers it because the
// interfaces have addresses. TTL / hop limit is decremented (as the kernel's forwarding would
// do, so captures look the same with either backend); a frame whose TTL runs out is not sent.
// Ethernet addresses are rewritten: source = the egress interface, destination = the neighbour
// on that side, given in the config or learned from the source MAC of any frame received on that
// side (a veth link has exactly one neighbour). Until it is known, frames for that side are held
// (up to 256) and the forwarder asks for it: ARP for IPv4, a Neighbour Solicitation for IPv6
// (forwarder_neighbours.hpp); the answer releases them, as a kernel router's neighbour queue.
// A frame whose L4 checksum is still partial (sender with tx checksum offload) gets it
// completed, so the receiver never drops it for that.
//
// Decisions are the FaultDecider's (fault_decider.hpp): reproducible from the seed and the
// packet identities. Order per packet: schedule, loss, duplicate, corrupt, reorder/delay, rate.
#include <atomic>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "netem/forwarder/frame_io.hpp"
#include "netem/impair/impairment.hpp"

namespace tcplab::netem {

struct ForwarderConfig {
    std::string router_netns;      // e.g. tl7-rtr (must exist under /run/netns)
    std::string client_interface;  // in the router namespace, toward the client
    std::string server_interface;  // in the router namespace, toward the server
    Impairment impairment;
    std::filesystem::path ledger_path;     // empty: no ledger
    std::optional<std::uint64_t> seed;     // overrides impairment.seed when set
    std::optional<MacAddress> client_mac;  // neighbour MACs when known; learned otherwise
    std::optional<MacAddress> server_mac;
    double drain_timeout_s = 5;  // stop(): longest wait for delayed frames to leave
};

struct DirectionStats {
    std::uint64_t received = 0;     // frames taken for forwarding in this direction
    std::uint64_t forwarded = 0;    // frames sent out (duplicates included)
    std::uint64_t dropped = 0;      // injected loss (random, Gilbert-Elliott, schedule)
    std::uint64_t queue_drops = 0;  // queue limit reached, egress refused, oversize frame
    std::uint64_t delayed = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t corrupted = 0;
    std::uint64_t reordered = 0;
    std::uint64_t ttl_expired = 0;
    std::uint64_t ring_drops = 0;  // lost before the forwarder saw them: its receive ring was full
    // Frames sent after a frame that reached the forwarder later (a reorder sent ahead of the
    // queue, jitter, a duplicate's delay). 0: this direction left in the order it arrived, so
    // any reordering the captures show happened on the host, outside the forwarder.
    std::uint64_t overtaken = 0;
};

struct ForwarderStats {
    DirectionStats client_to_server;
    DirectionStats server_to_client;
    std::uint64_t not_forwarded = 0;  // ARP, ND, multicast, frames for the router itself
    std::uint64_t ledger_lines = 0;
    bool realtime = false;  // the forwarding thread ran at a real-time priority (SCHED_FIFO)
    const DirectionStats& get(Direction d) const {
        return d == Direction::client_to_server ? client_to_server : server_to_client;
    }
};

class Forwarder {
public:
    explicit Forwarder(ForwarderConfig config);
    ~Forwarder();  // stops if still running (errors swallowed)
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    // Starts the forwarding thread inside the router namespace; returns when it is forwarding.
    // Throws EnvironmentError/SystemError when the namespace, an interface or a socket is not
    // available, UsageError for an impossible model (e.g. a rate token bucket of 0).
    void start();
    // Stops reading, lets the delay queues drain (up to drain_timeout_s), joins the thread and
    // returns the counts. Rethrows an error the thread hit while running.
    ForwarderStats stop();
    bool running() const { return thread_.joinable(); }

private:
    ForwarderConfig config_;
    std::thread thread_;
    std::atomic<bool> stop_requested_{false};
    ForwarderStats result_;
    std::exception_ptr failure_;
};

}  // namespace tcplab::netem
