#pragma once
// Bounded floods: SYN, ACK or UDP frames written straight to the egress interface (qdisc
// bypassed) from --threads sender threads, each with its own AF_PACKET socket and share of the
// rate. The default path is a PACKET_TX_RING per thread: frames are prebuilt in the ring's slots
// once, only the varying fields (source address/port, IP id, seq, checksums) are rewritten per
// packet (FloodFrames), and one sendto() sends a whole batch. Where the ring cannot be set up,
// sendmmsg() over a cycle of prebuilt frames is the fallback. A flood is always bounded: by a
// packet count, a duration, or both — a flood with neither is rejected.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "generator/spec_parse.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::gen {

enum class FloodKind : std::uint8_t { syn, ack, udp };
FloodKind parse_flood_kind(const std::string& text);  // UsageError on anything else
const char* to_string(FloodKind kind);

// How frames reach the driver: automatic = the TX ring, sendmmsg when the ring is unavailable.
enum class FloodTx : std::uint8_t { automatic, ring, sendmmsg };
FloodTx parse_flood_tx(const std::string& text);  // auto, ring, sendmmsg; UsageError otherwise
const char* to_string(FloodTx tx);

struct FloodOptions {
    FloodKind kind = FloodKind::syn;
    packet::Endpoint dst;
    std::optional<AddressRange> src_range;  // default: the route's preferred source address
    std::uint16_t sport_low = 1024;         // source ports cycle through [low, high]
    std::uint16_t sport_high = 65535;
    std::optional<std::uint64_t> count;  // total packets (over all threads)
    std::optional<std::chrono::milliseconds> duration;
    double rate = 0;  // packets per second over all threads; 0 = max
    unsigned threads = 1;
    unsigned batch =
        256;  // frames per sendto()/sendmmsg (256: fewer syscalls, measured ~5% over 64)
    FloodTx tx = FloodTx::automatic;
    std::uint16_t payload = 0;  // UDP payload bytes (TCP floods carry none)
    std::uint8_t ttl = 64;
};

struct FloodProgress {
    std::uint64_t packets = 0;
    std::uint64_t errors = 0;
    std::chrono::duration<double> elapsed{0};
};

struct FloodResult {
    std::uint64_t packets = 0;  // frames the kernel accepted
    std::uint64_t errors = 0;   // frames it refused (queue full, interface down)
    std::uint64_t bytes = 0;    // link-layer bytes of the accepted frames
    std::chrono::duration<double> elapsed{0};
    std::string interface;
    std::size_t frame_size = 0;   // bytes of one frame (Ethernet header included)
    FloodTx tx = FloodTx::ring;   // the path actually used (ring or sendmmsg)
    std::string fallback_reason;  // why the ring was not used (automatic mode), else empty
    double pps() const {
        return elapsed.count() > 0 ? static_cast<double>(packets) / elapsed.count() : 0;
    }
    double mbps() const {
        return elapsed.count() > 0 ? static_cast<double>(bytes) * 8 / elapsed.count() / 1e6 : 0;
    }
};

// Rejects an unbounded flood, zero threads, an empty port range... with UsageError.
void validate(const FloodOptions& options);

// The frames one sender thread cycles through (Ethernet + IP + TCP/UDP), for tests and benches.
std::vector<std::vector<std::uint8_t>> build_flood_frames(
    const FloodOptions& options, const packet::IpAddress& default_src,
    const std::array<std::uint8_t, 6>& src_mac, const std::array<std::uint8_t, 6>& dst_mac,
    unsigned thread_index, std::size_t frames);

// Runs the flood in the calling thread's network namespace. `progress` (may be empty) is called
// from the calling thread about twice a second. Throws EnvironmentError without CAP_NET_RAW.
FloodResult run_flood(const FloodOptions& options,
                      const std::function<void(const FloodProgress&)>& progress = {});

}  // namespace tcplab::gen
