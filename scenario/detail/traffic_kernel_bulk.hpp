#pragma once
// Kernel TCP bulk transfer across the lab path: a listener in the server namespace, a client in the
// client namespace sending a seeded pseudo-random payload; the server answers with the SHA-256 of
// what it received, so integrity is checked end to end.
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "packet/ip_address.hpp"

namespace tcplab::scenario {

struct KernelBulkOptions {
    std::string client_netns;
    std::string server_netns;
    packet::Endpoint server;  // where the listener binds and the client connects
    std::uint64_t bytes = 0;
    std::uint64_t seed = 1;  // the payload is a function of the seed
    double timeout_s = 60;   // whole exchange
};

struct KernelBulkResult {
    bool completed = false;  // connected, sent everything, got the digest back
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;  // as counted by the server
    std::string sha256_sent;
    std::string sha256_received;  // as reported by the server
    std::uint16_t client_port = 0;
    double seconds = 0;
    std::string error;  // why it did not complete
};

KernelBulkResult run_kernel_bulk(const KernelBulkOptions& options);

// The server half on its own: a one-connection kernel TCP sink in the server namespace that
// hashes everything until EOF (and replies with the hex digest when reply_digest), while
// `client(deadline)` runs on a thread in the client namespace and returns its error ("" = ok).
struct SinkOutcome {
    std::uint64_t received = 0;
    std::string sha256;
    std::string server_error;
    std::string client_error;
    double seconds = 0;
};
SinkOutcome run_with_sink(
    const KernelBulkOptions& options, bool reply_digest,
    const std::function<std::string(std::chrono::steady_clock::time_point)>& client);

std::string sha256_hex(std::span<const std::uint8_t> bytes);

}  // namespace tcplab::scenario
