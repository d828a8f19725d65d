#include "tls/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <thread>

#include "base/errors.hpp"
#include "tls/cert_info.hpp"
#include "tls/detail/hints.hpp"
#include "tls/sha256.hpp"

namespace tcplab::tls {

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr std::size_t kMaxNameBytes = 256;

std::string trim(std::string s) {
    while (!s.empty() &&
           (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\0')) {
        s.pop_back();
    }
    // A name is for a log line: keep it printable.
    for (char& c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7F) {
            c = '?';
        }
    }
    return s;
}

// Why a handshake was refused, in plain words (the alert we sent says what the client sees).
std::string handshake_failure(Tls& tls, IoStatus status, std::chrono::milliseconds timeout) {
    if (status == IoStatus::timeout) {
        return "handshake timed out after " + std::to_string(timeout.count()) + " ms";
    }
    if (status == IoStatus::stopped) {
        return "server stopping";
    }
    std::string reason;
    const long verify = SSL_get_verify_result(tls.ssl());
    if (verify != X509_V_OK) {
        reason = describe_client_verify_error(verify);
    } else if (tls.error().find("peer did not return a certificate") != std::string::npos) {
        reason = "client sent no certificate";
    } else if (status == IoStatus::eof) {
        reason = "client closed the connection during the handshake";
    } else {
        reason = tls.error().empty() ? to_string(status) : tls.error();
    }
    if (tls.alert_sent() >= 0) {
        reason += " [sent alert " + alert_name(tls.alert_sent()) + "]";
    } else if (tls.alert_received() >= 0) {
        reason += " [client sent alert " + alert_name(tls.alert_received()) + "]";
    }
    return "refused: " + reason;
}

void record_session(Tls& tls, ConnectionLog& log) {
    if (X509* peer = SSL_get0_peer_certificate(tls.ssl())) {
        log.client_subject = subject_of(*peer);
    }
    log.version = tls.version();
    log.cipher = tls.cipher();
    log.resumed = SSL_session_reused(tls.ssl()) == 1;
}

// Greeting mode: send the greeting, then collect the lab client's name (up to a line) for the
// log. Not hearing a name is fine (openssl s_client sends none).
IoStatus serve_greeting(Tls& tls, std::span<unsigned char> buffer, const ServerConfig& config,
                        ConnectionLog& log) {
    IoStatus status = tls.write_all(config.greeting.data(), config.greeting.size(),
                                    Clock::now() + config.idle_timeout);
    log.bytes_out = status == IoStatus::ok ? config.greeting.size() : 0;
    std::string name;
    const auto name_deadline = Clock::now() + config.name_wait;
    while (status == IoStatus::ok && name.size() < kMaxNameBytes &&
           name.find('\n') == std::string::npos) {
        std::size_t n = 0;
        status = tls.read(buffer.data(), buffer.size(), n, name_deadline);
        name.append(reinterpret_cast<const char*>(buffer.data()), n);
        log.bytes_in += n;
    }
    log.client_name = trim(name.substr(0, std::min(name.find('\n'), kMaxNameBytes)));
    if (status == IoStatus::timeout || status == IoStatus::closed || status == IoStatus::ok) {
        status = IoStatus::ok;
    }
    return status;
}

// Echo mode: return what arrives until the client closes.
IoStatus serve_echo(Tls& tls, std::span<unsigned char> buffer, const ServerConfig& config,
                    ConnectionLog& log) {
    const auto idle = [&] { return Clock::now() + config.idle_timeout; };
    IoStatus status = IoStatus::ok;
    for (;;) {
        std::size_t n = 0;
        status = tls.read(buffer.data(), buffer.size(), n, idle());
        if (status != IoStatus::ok) {
            break;
        }
        log.bytes_in += n;
        status = tls.write_all(buffer.data(), n, idle());
        if (status != IoStatus::ok) {
            break;
        }
        log.bytes_out += n;
    }
    return status == IoStatus::closed ? IoStatus::ok : status;
}

// "bytes=N sha256=HEX seconds=S mbytes_per_s=R\n". Fixed width (zero-padded): the reply's length
// does not depend on how fast this run was, so the close_notify after it has the same sequence
// number in every rerun of a scenario (and the same seed drops it or not). Widths hold up to 11
// days and 10 TB/s.
std::string sink_reply(const ConnectionLog& log) {
    char timing[96];
    std::snprintf(timing, sizeof timing, " seconds=%013.6f mbytes_per_s=%011.3f\n", log.seconds,
                  log.mbytes_per_s);
    return "bytes=" + std::to_string(log.bytes_in) + " sha256=" + log.sha256 + timing;
}

// Sink mode: read (hashing) until the client's close_notify, then answer with the count, the
// digest and the rate.
IoStatus serve_sink(Tls& tls, std::span<unsigned char> buffer, const ServerConfig& config,
                    ConnectionLog& log) {
    const auto idle = [&] { return Clock::now() + config.idle_timeout; };
    IoStatus status = IoStatus::ok;
    Sha256 sha;
    Clock::time_point first{};
    for (;;) {
        std::size_t n = 0;
        status = tls.read(buffer.data(), buffer.size(), n, idle());
        if (status != IoStatus::ok) {
            break;
        }
        if (log.bytes_in == 0) {
            first = Clock::now();
        }
        sha.update(buffer.data(), n);
        log.bytes_in += n;
    }
    log.sha256 = sha.hex_digest();
    log.seconds =
        log.bytes_in == 0 ? 0.0 : std::chrono::duration<double>(Clock::now() - first).count();
    log.mbytes_per_s =
        log.seconds > 0 ? static_cast<double>(log.bytes_in) / 1e6 / log.seconds : 0.0;
    if (status == IoStatus::closed || status == IoStatus::eof) {
        const std::string text = sink_reply(log);
        // After the client's close_notify we may still write (TLS half-close).
        status = tls.write_all(text.data(), text.size(), idle());
        log.bytes_out = text.size();
    }
    return status;
}

IoStatus serve_mode(Tls& tls, std::span<unsigned char> buffer, const ServerConfig& config,
                    ConnectionLog& log) {
    switch (config.mode) {
        case ServerMode::greeting:
            return serve_greeting(tls, buffer, config, log);
        case ServerMode::echo:
            return serve_echo(tls, buffer, config, log);
        case ServerMode::sink:
            return serve_sink(tls, buffer, config, log);
    }
    return IoStatus::failed;
}

}  // namespace

ServerMode parse_server_mode(const std::string& text) {
    if (text == "greeting") return ServerMode::greeting;
    if (text == "echo") return ServerMode::echo;
    if (text == "sink") return ServerMode::sink;
    throw UsageError("--mode '" + text + "': expected greeting, echo or sink");
}

const char* to_string(ServerMode mode) {
    switch (mode) {
        case ServerMode::greeting:
            return "greeting";
        case ServerMode::echo:
            return "echo";
        case ServerMode::sink:
            return "sink";
    }
    return "?";
}

std::string format_log(const ConnectionLog& log) {
    std::ostringstream out;
    if (log.client_subject.empty()) {
        out << "client " << log.peer << " " << log.error;
        return out.str();
    }
    out << "Certificate of client " << log.peer << " received: " << log.client_subject << "; "
        << log.version << " " << log.cipher << (log.resumed ? " resumed" : "");
    if (!log.client_name.empty()) {
        out << "; Client name: " << log.client_name;
    }
    if (!log.sha256.empty()) {
        out << "; sink " << log.bytes_in << " bytes sha256=" << log.sha256 << " "
            << log.mbytes_per_s << " MB/s";
    } else if (log.bytes_in != 0 || log.bytes_out != 0) {
        out << "; " << log.bytes_in << " bytes in, " << log.bytes_out << " out";
    }
    if (!log.ok) {
        out << "; " << log.error;
    }
    return out.str();
}

Server::Server(ServerConfig config) : config_(std::move(config)) {
    if (config_.max_conns == 0) {
        throw UsageError("--max-conns must be at least 1");
    }
    if (config_.greeting.empty() || config_.greeting.size() > kMaxGreetingBytes) {
        throw UsageError("--greeting: must be 1.." + std::to_string(kMaxGreetingBytes) +
                         " bytes, got " + std::to_string(config_.greeting.size()));
    }
    ignore_sigpipe();
    ctx_ = make_server_context(config_.credentials, config_.tls);
    listener_ =
        listen_on(HostPort::parse(config_.listen, "--listen"), SOMAXCONN, config_.receive_buffer);
    stop_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop_fd_) {
        throw SystemError(std::string("eventfd: ") + std::strerror(errno));
    }
}

Server::~Server() { stop_workers(); }

std::uint16_t Server::port() const { return local_port(listener_.get()); }

ServerStats Server::run(std::stop_token stop) {
    const auto signal_stop = [this] {
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t n = ::write(stop_fd_.get(), &one, sizeof one);
        const std::lock_guard lock(mutex_);
        changed_.notify_all();
    };
    std::stop_callback on_stop(stop, signal_stop);
    std::uint64_t started = 0;
    for (;;) {
        if (config_.max_connections_total != 0 && started >= config_.max_connections_total) {
            break;
        }
        {
            // At max_conns, leave further clients in the kernel's backlog until a slot frees.
            std::unique_lock lock(mutex_);
            changed_.wait(lock,
                          [&] { return active_ < config_.max_conns || stop.stop_requested(); });
        }
        if (stop.stop_requested()) {
            break;
        }
        pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw SystemError(std::string("poll: ") + std::strerror(errno));
        }
        if ((fds[1].revents & POLLIN) != 0) {
            break;
        }
        UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            // EMFILE/ENFILE: out of descriptors; back off briefly instead of spinning.
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            continue;  // EAGAIN, ECONNABORTED, ... : the next poll() decides
        }
        // Handshake flights are small writes: without NODELAY, delayed ACKs add ~40 ms to each.
        const int one = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ++accepted_;
        ++started;
        hand_over(std::move(fd));
    }
    // On a stop request the workers were told (stop fd) and end with close_notify; after
    // max_connections_total they finish their exchange normally.
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return active_ == 0; });
    }
    stop_workers();
    return ServerStats{accepted_.load(), completed_.load(), refused_.load(), timed_out_.load(),
                       failed_.load()};
}

void Server::hand_over(UniqueFd fd) {
    const std::lock_guard lock(mutex_);
    ++active_;
    queue_.push_back(std::move(fd));
    // A worker counts as idle from its creation until it takes a connection (also while it is
    // starting, or notified but not yet awake), so compare with the queue, not with zero. With
    // active_ <= max_conns, max_conns workers always suffice.
    if (queue_.size() > idle_workers_ && workers_.size() < config_.max_conns) {
        try {
            workers_.emplace_back([this] { work(); });
            ++idle_workers_;
        } catch (const std::system_error&) {
            if (workers_.empty()) {  // nobody will ever take it: drop the connection
                queue_.pop_back();
                --active_;
                ++failed_;
                changed_.notify_all();
                return;
            }
        }
    }
    work_ready_.notify_one();
}

void Server::work() {
    // One read buffer per worker, not per connection: allocating and zeroing 64 KiB for each
    // connection was 7% of the server's CPU per full handshake (perf, `openssl s_time -new`).
    const auto buffer = std::make_unique_for_overwrite<unsigned char[]>(kBufferSize);
    std::unique_lock lock(mutex_);  // hand_over() counted this worker as idle
    for (;;) {
        work_ready_.wait(lock, [this] { return !queue_.empty() || stopping_; });
        --idle_workers_;
        if (queue_.empty()) {
            return;  // stopping, and every accepted connection has been served
        }
        UniqueFd fd = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        serve(std::move(fd), {buffer.get(), kBufferSize});
        lock.lock();
        --active_;
        ++idle_workers_;
        changed_.notify_all();
    }
}

void Server::stop_workers() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(stop_fd_.get(), &one, sizeof one);
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_all();
    for (std::thread& worker : workers_) {
        if (worker.joinable()) {
            worker.join();
        }
    }
}

void Server::serve(UniqueFd fd, std::span<unsigned char> buffer) {
    ConnectionLog log;
    log.peer = peer_name(fd.get());
    try {
        Tls tls(*ctx_, std::move(fd), stop_fd_.get());
        const IoStatus hs = tls.accept(Clock::now() + config_.handshake_timeout);
        if (hs != IoStatus::ok) {
            log.error = handshake_failure(tls, hs, config_.handshake_timeout);
            (hs == IoStatus::timeout ? timed_out_ : refused_)++;
        } else {
            record_session(tls, log);
            const IoStatus status = serve_mode(tls, buffer, config_, log);
            if (status == IoStatus::ok) {
                // close_notify, then give the client a moment to answer with its own so the
                // socket closes cleanly (no RST on unread data).
                tls.shutdown(Clock::now() + std::min(config_.name_wait, config_.idle_timeout),
                             true);
                log.ok = true;
                ++completed_;
            } else {
                log.error =
                    std::string(status == IoStatus::timeout ? "idle timeout" : to_string(status)) +
                    (tls.error().empty() ? "" : ": " + tls.error());
                (status == IoStatus::timeout ? timed_out_ : failed_)++;
                if (status == IoStatus::stopped) {
                    tls.shutdown(Clock::now() + std::chrono::milliseconds(200), false);
                }
            }
        }
    } catch (const std::exception& e) {
        log.error = std::string("internal error: ") + e.what();
        ++failed_;
    }
    if (config_.on_connection) {
        try {
            config_.on_connection(log);
        } catch (...) {
            // a logging failure must not take the server down
        }
    }
}

ServerStats run_server(const ServerConfig& config, std::stop_token stop) {
    Server server(config);
    return server.run(stop);
}

}  // namespace tcplab::tls
