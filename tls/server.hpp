#pragma once
// The concurrent mTLS server (`tcplab tls server`), usable as a library by the scenario runner.
//
//   tls::ServerConfig config;
//   config.credentials = tls::Credentials::from_dir("pki", "server");
//   config.listen = "198.19.1.2:4433";
//   tls::Server server(config);            // loads credentials, binds, listens (throws on error)
//   std::jthread t([&](std::stop_token st) { server.run(st); });
//   ... t.request_stop();                  // graceful: stop accepting, close_notify to everyone
//
// Sockets belong to the network namespace of the thread that constructs the Server (for the
// client: that calls run_client), so the scenario runner enters tl<N>-srv / tl<N>-cli first.
// One worker thread per open connection, at most max_conns at once (further clients wait in the
// listen backlog). Workers are kept and reused, never detached: a fresh thread per connection
// (and the per-thread random generators and error queue OpenSSL sets up in it) is a large
// share of a loopback handshake's cost (bench/tls_bench.sh). Every connection has a handshake
// deadline (for the whole handshake, so a byte-at-a-time client gains nothing) and an idle
// deadline, so silent or stalling clients lose their slot. Every client must present a
// certificate signed by credentials.ca with EKU clientAuth; otherwise the handshake is refused
// with OpenSSL's alert (certificate_required / handshake_failure, unknown_ca,
// certificate_expired, unsupported_certificate).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "tls/detail/context.hpp"
#include "tls/detail/io.hpp"

namespace tcplab::tls {

enum class ServerMode {
    greeting,  // send ServerConfig::greeting, read the client's name (if it sends one), close with
               // close_notify
    echo,      // send back everything received until the client closes
    sink,      // read everything until close_notify, reply with kSinkReply (count, SHA-256, MB/s)
};

inline constexpr const char* kGreeting = "You now have a secured connection!";
// Longest greeting accepted: one TLS record (16 KiB), so it is one write however it is sent.
inline constexpr std::size_t kMaxGreetingBytes = 16384;

ServerMode parse_server_mode(const std::string& text);  // UsageError naming --mode
const char* to_string(ServerMode mode);

// One line per connection, handed to ServerConfig::on_connection (from the worker thread).
struct ConnectionLog {
    std::string peer;            // "127.0.0.1:62488"
    bool ok = false;             // handshake done and the mode's exchange completed
    std::string client_subject;  // "O = tcplab, CN = c1"
    std::string version;         // "TLSv1.3"
    std::string cipher;
    bool resumed = false;     // an abbreviated handshake on a session this server issued
    std::string client_name;  // greeting mode: what the client sent (trimmed), if anything
    std::string error;        // why it failed / was refused (plain words)
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::string sha256;       // sink: of everything received
    double seconds = 0;       // sink: first byte to close_notify
    double mbytes_per_s = 0;  // sink
};

// "Certificate of client 127.0.0.1:62488 received: O = tcplab, CN = c1; TLSv1.3
// TLS_AES_256_GCM_SHA384; Client name: c1" ("TLSv1.3 ... resumed" for a resumed session;
// "client ... refused: <reason>" for a refused one).
std::string format_log(const ConnectionLog& log);

struct ServerConfig {
    Credentials credentials;
    std::string listen = "127.0.0.1:4433";  // ADDR:PORT or [V6]:PORT; port 0 picks a free port
    ServerMode mode = ServerMode::greeting;
    std::size_t max_conns = 128;
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds idle_timeout{30'000};
    std::chrono::milliseconds name_wait{1'000};  // greeting: how long to wait for a client name
    std::string greeting = kGreeting;  // greeting mode: the bytes sent first (1..kMaxGreetingBytes)
    ContextOptions tls;
    std::uint64_t max_connections_total = 0;  // stop after this many connections (0 = never)
    int receive_buffer = 0;  // bytes of SO_RCVBUF per connection; 0 = the kernel's autotuning
    std::function<void(const ConnectionLog&)> on_connection;  // may be empty; must be thread-safe
};

struct ServerStats {
    std::uint64_t accepted = 0;
    std::uint64_t completed = 0;  // ok
    std::uint64_t refused = 0;    // handshake failed (bad/no certificate, garbage, ...)
    std::uint64_t timed_out = 0;  // handshake or idle deadline passed
    std::uint64_t failed = 0;     // after the handshake
};

class Server {
public:
    explicit Server(ServerConfig config);  // throws UsageError / SystemError / EnvironmentError
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    std::uint16_t port() const;  // the bound port (useful with port 0)

    // Call once. Serves until `stop` is requested (or max_connections_total is reached), then stops
    // accepting, ends open connections with close_notify and waits for their threads.
    ServerStats run(std::stop_token stop);

private:
    void serve(UniqueFd fd, std::span<unsigned char> buffer);  // buffer: the worker's, for reads
    void work();                  // a worker: serve queued connections until stopping_
    void hand_over(UniqueFd fd);  // queue an accepted connection, starting a worker if none is idle
    void stop_workers() noexcept;  // signal the stop fd, wake and join every worker

    ServerConfig config_;
    SslCtxPtr ctx_;
    UniqueFd listener_;
    UniqueFd stop_fd_;  // eventfd: readable once stopping; every poll() in every worker watches it

    std::mutex mutex_;
    std::condition_variable changed_;     // active_ went down (the accept loop waits at max_conns)
    std::condition_variable work_ready_;  // queue_ gained a connection, or stopping_
    std::size_t active_ = 0;              // queued + being served; never above max_conns
    std::deque<UniqueFd> queue_;
    std::vector<std::thread> workers_;  // at most max_conns
    std::size_t idle_workers_ = 0;
    bool stopping_ = false;
    std::atomic<std::uint64_t> accepted_{0}, completed_{0}, refused_{0}, timed_out_{0}, failed_{0};
};

// Convenience: Server(config).run(stop).
ServerStats run_server(const ServerConfig& config, std::stop_token stop);

}  // namespace tcplab::tls
