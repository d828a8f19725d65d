#pragma once
// Live capture with libpcap at one interface of a run (usually the client's and the server's),
// written to a pcap file. The handle is created on the capture's own thread *inside* the target
// namespace (a packet socket belongs to the namespace it was created in), in immediate mode with
// a buffer sized for bursts, and everything it reads is dumped on that thread.
//
//   Capture cap({topo.namespace_name(Role::client), topo.client_interface(), out / "client.pcap"});
//   cap.start();              // returns once the handle is active: no packet is missed after it
//   ... traffic ...
//   auto stats = cap.stop();  // drains what the kernel still holds, then reports the counters
//
// Nothing is lost silently: stats carry libpcap's own counters (ps_recv, ps_drop, ps_ifdrop)
// next to the number of records written; callers report drops > 0 as an incomplete capture.
//
// A cut capture never looks complete: records go to "<file>.part", renamed to <file> only after
// stop() drained the ring and closed the file. A process killed mid-capture (SIGKILL) leaves
// only the .part file; an older <file> is removed by start().
#include <cstdint>
#include <exception>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <utility>

#include "base/unique_fd.hpp"

namespace tcplab::netem {

struct CaptureOptions {
    CaptureOptions() = default;
    CaptureOptions(std::string ns, std::string iface, std::filesystem::path out)
        : netns(std::move(ns)), interface(std::move(iface)), file(std::move(out)) {}

    std::string netns;           // /run/netns name; empty = the caller's namespace
    std::string interface;       // e.g. "veth-c"
    std::filesystem::path file;  // final pcap; "<file>.part" while capturing
    int snaplen = 262144;        // bytes kept per packet
    int buffer_bytes = 8 << 20;  // kernel ring: absorbs bursts while the thread is busy
    std::string filter;          // optional BPF expression
};

struct CaptureStats {
    std::uint64_t written = 0;     // records written to the file
    std::uint64_t received = 0;    // pcap_stats ps_recv: packets seen by the filter
    std::uint64_t dropped = 0;     // ps_drop: lost because the buffer was full
    std::uint64_t if_dropped = 0;  // ps_ifdrop: dropped by the interface/driver
    bool complete() const { return dropped == 0 && if_dropped == 0; }
};

class Capture {
public:
    explicit Capture(CaptureOptions options);
    ~Capture();  // stops (errors swallowed) if still running
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;

    // Opens and activates the handle inside the namespace; returns when packets are being
    // captured. Throws EnvironmentError (no such namespace/interface, no permission) or
    // SystemError (libpcap failure) with libpcap's message and the interface named.
    void start();
    // Reads everything still queued, closes the file and returns the counters. Rethrows an error
    // the capture thread hit while running.
    CaptureStats stop();
    bool running() const { return thread_.joinable(); }

    // Where records go until stop() completes.
    std::filesystem::path partial_file() const;

private:
    void run(std::promise<void>& started);

    CaptureOptions options_;
    std::thread thread_;
    UniqueFd stop_fd_;  // eventfd: written by stop(), polled by the thread
    CaptureStats stats_;
    std::exception_ptr failure_;
};

}  // namespace tcplab::netem
