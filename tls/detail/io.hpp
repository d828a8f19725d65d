#pragma once
// Sockets and TLS I/O with deadlines. Every socket is non-blocking; every SSL call is retried
// through poll() until it completes, its deadline passes, or the stop fd becomes readable — so
// no peer (silent, slow, or stalling mid-handshake) can hold a thread forever.
#include <chrono>
#include <cstdint>
#include <string>

#include "base/unique_fd.hpp"
#include "tls/detail/ossl.hpp"

namespace tcplab::tls {

using Clock = std::chrono::steady_clock;

// A peer that vanishes must not kill the process: OpenSSL writes with write(), which raises
// SIGPIPE on a reset connection. Sets SIGPIPE to ignored if it still has its default action
// (called by Server and run_client; a handler the application installed is left alone).
void ignore_sigpipe();

// "HOST:PORT" or "[V6]:PORT" split; UsageError naming `flag` when malformed.
struct HostPort {
    std::string host;
    std::uint16_t port = 0;
    static HostPort parse(const std::string& text, const std::string& flag);
};

// Bound, listening, non-blocking socket for a numeric address ("0.0.0.0", "::", "127.0.0.1";
// port 0 = pick a free one). A "::" listener also accepts IPv4 (dual stack). receive_buffer > 0
// fixes SO_RCVBUF of every accepted connection (set before listen(), so the window scale
// offered in the SYN-ACK covers it); 0 leaves the kernel's autotuning.
UniqueFd listen_on(const HostPort& where, int backlog, int receive_buffer = 0);

// Connects (host may be a name; every resolved address is tried) within the deadline.
// send_buffer > 0 fixes SO_SNDBUF. Throws SystemError with the reason ("connection refused",
// "timed out").
UniqueFd connect_to(const HostPort& where, Clock::time_point deadline, int send_buffer = 0);

// "127.0.0.1:4433", "[::1]:4433" for a connected/bound socket's peer or local side.
std::string peer_name(int fd);
std::uint16_t local_port(int fd);

// What happened to one TLS operation.
enum class IoStatus {
    ok,       // done (n bytes for read/write)
    closed,   // the peer sent close_notify
    eof,      // the TCP connection ended without close_notify
    timeout,  // deadline passed
    stopped,  // the stop fd fired (server shutting down)
    failed,   // TLS or socket error: see Tls::error()
};

const char* to_string(IoStatus status);

// One TLS connection over a non-blocking socket, remembering the alerts sent and received.
class Tls {
public:
    Tls(SSL_CTX& ctx, UniqueFd fd, int stop_fd);
    Tls(const Tls&) = delete;
    Tls& operator=(const Tls&) = delete;

    SSL* ssl() { return ssl_.get(); }
    int fd() const { return fd_.get(); }

    IoStatus accept(Clock::time_point deadline);
    IoStatus connect(Clock::time_point deadline);
    // Reads up to `size` bytes (n = bytes read).
    IoStatus read(void* buffer, std::size_t size, std::size_t& n, Clock::time_point deadline);
    // Writes all `size` bytes unless something fails.
    IoStatus write_all(const void* data, std::size_t size, Clock::time_point deadline);
    // Sends close_notify; when wait_for_peer, also waits (until deadline) for the peer's.
    IoStatus shutdown(Clock::time_point deadline, bool wait_for_peer);

    // The error text of the last failed operation (OpenSSL reasons drained; errno for syscalls).
    const std::string& error() const { return error_; }
    // Alert descriptions seen (-1 if none): the last one the peer sent / we sent.
    int alert_received() const { return alert_received_; }
    int alert_sent() const { return alert_sent_; }

    std::string version() const;  // "TLSv1.3"
    std::string cipher() const;   // "TLS_AES_256_GCM_SHA384"

private:
    template <typename Op>
    IoStatus run(Op op, Clock::time_point deadline);
    static void info_callback(const SSL* ssl, int where, int ret);

    UniqueFd fd_;
    int stop_fd_;
    SslPtr ssl_;
    std::string error_;
    int alert_received_ = -1;
    int alert_sent_ = -1;
};

}  // namespace tcplab::tls
