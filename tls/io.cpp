#include "tls/detail/io.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/errors.hpp"

namespace tcplab::tls {

void ignore_sigpipe() {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ignore, nullptr);
    }
}

namespace {

// Waits until fd is ready for `events`, the deadline passes, or stop_fd is readable.
IoStatus wait_for(int fd, short events, Clock::time_point deadline, int stop_fd) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            return IoStatus::timeout;
        }
        pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
        const int n = ::poll(fds, stop_fd >= 0 ? 2 : 1,
                             static_cast<int>(std::min<long long>(left, 1000 * 3600)));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return IoStatus::failed;
        }
        if (stop_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
            return IoStatus::stopped;
        }
        if (fds[0].revents != 0) {
            return IoStatus::ok;  // ready, or an error/hang-up the next call will report
        }
    }
}

std::string sockaddr_to_string(const sockaddr_storage& ss) {
    char host[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
        inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
        return std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
    }
    if (ss.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
        inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
        return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6.sin6_port));
    }
    return "?";
}

}  // namespace

HostPort HostPort::parse(const std::string& text, const std::string& flag) {
    HostPort out;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            throw UsageError(flag + " '" + text + "': expected [IPv6]:PORT");
        }
        out.host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos || text.find(':') != colon) {
            throw UsageError(flag + " '" + text + "': expected HOST:PORT (IPv6 as [ADDR]:PORT)");
        }
        out.host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long value = port.empty() ? 70000 : std::strtoul(port.c_str(), &end, 10);
    if (out.host.empty() || port.empty() || errno != 0 || *end != '\0' || value > 65535) {
        throw UsageError(flag + " '" + text + "': expected HOST:PORT with a port 0-65535");
    }
    out.port = static_cast<std::uint16_t>(value);
    return out;
}

namespace {

// SO_RCVBUFFORCE / SO_SNDBUFFORCE exceed net.core.[rw]mem_max but need CAP_NET_ADMIN; without
// it the plain option gets as much as the system allows.
void set_buffer(int fd, int force_option, int option, int bytes) {
    if (bytes > 0 && ::setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) != 0) {
        ::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
    }
}

}  // namespace

UniqueFd listen_on(const HostPort& where, int backlog, int receive_buffer) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    int family = AF_INET;
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, where.host.c_str(), &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(where.port);
        len = sizeof *in;
    } else if (inet_pton(AF_INET6, where.host.c_str(), &in6->sin6_addr) == 1) {
        family = AF_INET6;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(where.port);
        len = sizeof *in6;
    } else {
        throw UsageError("--listen '" + where.host + "': expected a numeric IPv4 or IPv6 address");
    }
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw SystemError(std::string("socket: ") + std::strerror(errno));
    }
    const int one = 1;
    const int zero = 0;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) {
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    set_buffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, receive_buffer);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        const int err = errno;
        const std::string what =
            "--listen " + sockaddr_to_string(ss) + ": cannot bind: " + std::strerror(err);
        if (err == EADDRINUSE || err == EADDRNOTAVAIL) {
            throw UsageError(what);
        }
        throw EnvironmentError(what);
    }
    if (::listen(fd.get(), backlog) != 0) {
        throw SystemError(std::string("listen: ") + std::strerror(errno));
    }
    return fd;
}

UniqueFd connect_to(const HostPort& where, Clock::time_point deadline, int send_buffer) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string port = std::to_string(where.port);
    if (const int rc = ::getaddrinfo(where.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
        throw UsageError("--connect " + where.host + ": cannot resolve: " + gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(list, ::freeaddrinfo);
    std::string last_error = "no address";
    for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                             ai->ai_protocol));
        if (!fd) {
            last_error = std::strerror(errno);
            continue;
        }
        const int one = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        set_buffer(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF, send_buffer);
        if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
            return fd;
        }
        if (errno != EINPROGRESS) {
            last_error = std::strerror(errno);
            continue;
        }
        const IoStatus waited = wait_for(fd.get(), POLLOUT, deadline, -1);
        if (waited == IoStatus::timeout) {
            last_error = "timed out";
            continue;
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
            return fd;
        }
        last_error = std::strerror(err);
    }
    throw SystemError("cannot connect to " + where.host + ":" + port + ": " + last_error);
}

std::string peer_name(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return "?";
    }
    // Dual-stack listeners see IPv4 peers as ::ffff:a.b.c.d; print them as plain IPv4.
    if (ss.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
        if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
            sockaddr_storage v4{};
            auto& in = reinterpret_cast<sockaddr_in&>(v4);
            in.sin_family = AF_INET;
            in.sin_port = in6.sin6_port;
            std::memcpy(&in.sin_addr, in6.sin6_addr.s6_addr + 12, 4);
            return sockaddr_to_string(v4);
        }
    }
    return sockaddr_to_string(ss);
}

std::uint16_t local_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return 0;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
}

const char* to_string(IoStatus status) {
    switch (status) {
        case IoStatus::ok:
            return "ok";
        case IoStatus::closed:
            return "closed by peer (close_notify)";
        case IoStatus::eof:
            return "connection closed without close_notify";
        case IoStatus::timeout:
            return "timed out";
        case IoStatus::stopped:
            return "stopped";
        case IoStatus::failed:
            return "failed";
    }
    return "?";
}

Tls::Tls(SSL_CTX& ctx, UniqueFd fd, int stop_fd) : fd_(std::move(fd)), stop_fd_(stop_fd) {
    ssl_.reset(SSL_new(&ctx));
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) {
        throw_openssl("creating a TLS connection");
    }
    SSL_set_app_data(ssl_.get(), this);
    SSL_set_info_callback(ssl_.get(), &Tls::info_callback);
}

void Tls::info_callback(const SSL* ssl, int where, int ret) {
    if ((where & SSL_CB_ALERT) == 0) {
        return;
    }
    auto* self = static_cast<Tls*>(SSL_get_app_data(ssl));
    if (self == nullptr) {
        return;
    }
    const int description = ret & 0xFF;
    if (description == SSL_AD_CLOSE_NOTIFY) {
        return;  // the normal end, not a failure
    }
    ((where & SSL_CB_READ) != 0 ? self->alert_received_ : self->alert_sent_) = description;
}

template <typename Op>
IoStatus Tls::run(Op op, Clock::time_point deadline) {
    for (;;) {
        ERR_clear_error();
        errno = 0;
        const int rc = op();
        if (rc > 0) {
            return IoStatus::ok;
        }
        const int err = SSL_get_error(ssl_.get(), rc);
        const int saved_errno = errno;
        IoStatus waited = IoStatus::ok;
        switch (err) {
            case SSL_ERROR_WANT_READ:
                waited = wait_for(fd_.get(), POLLIN, deadline, stop_fd_);
                break;
            case SSL_ERROR_WANT_WRITE:
                waited = wait_for(fd_.get(), POLLOUT, deadline, stop_fd_);
                break;
            case SSL_ERROR_ZERO_RETURN:
                return IoStatus::closed;
            case SSL_ERROR_SYSCALL: {
                const std::string queued = drain_errors();
                if (saved_errno == 0) {
                    error_ = queued.empty() ? "connection closed without close_notify" : queued;
                    return IoStatus::eof;
                }
                error_ = std::strerror(saved_errno);
                return saved_errno == ECONNRESET || saved_errno == EPIPE ? IoStatus::eof
                                                                         : IoStatus::failed;
            }
            case SSL_ERROR_SSL: {
                error_ = drain_errors();
                // OpenSSL 3 reports a missing close_notify as an SSL error with this reason.
                if (error_.find("unexpected eof") != std::string::npos) {
                    return IoStatus::eof;
                }
                return IoStatus::failed;
            }
            default:
                error_ = with_errors("TLS error " + std::to_string(err));
                return IoStatus::failed;
        }
        if (waited != IoStatus::ok) {
            if (waited == IoStatus::failed) {
                error_ = std::string("poll: ") + std::strerror(errno);
            }
            return waited;
        }
    }
}

IoStatus Tls::accept(Clock::time_point deadline) {
    return run([&] { return SSL_accept(ssl_.get()); }, deadline);
}

IoStatus Tls::connect(Clock::time_point deadline) {
    return run([&] { return SSL_connect(ssl_.get()); }, deadline);
}

IoStatus Tls::read(void* buffer, std::size_t size, std::size_t& n, Clock::time_point deadline) {
    n = 0;
    return run([&] { return SSL_read_ex(ssl_.get(), buffer, size, &n); }, deadline);
}

IoStatus Tls::write_all(const void* data, std::size_t size, Clock::time_point deadline) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::size_t done = 0;
    while (done < size) {
        std::size_t n = 0;
        const IoStatus status =
            run([&] { return SSL_write_ex(ssl_.get(), bytes + done, size - done, &n); }, deadline);
        if (status != IoStatus::ok) {
            return status;
        }
        done += n;
    }
    return IoStatus::ok;
}

IoStatus Tls::shutdown(Clock::time_point deadline, bool wait_for_peer) {
    // First call sends close_notify (returns 0 while the peer's is outstanding, 1 when both are
    // done).
    ERR_clear_error();
    int rc = SSL_shutdown(ssl_.get());
    if (rc == 1 || !wait_for_peer) {
        if (rc < 0) {
            // Flush a close_notify that hit a full socket buffer.
            return run([&] { return SSL_shutdown(ssl_.get()) >= 0 ? 1 : -1; }, deadline);
        }
        return IoStatus::ok;
    }
    // Wait for the peer's close_notify; application data still in flight is read and dropped.
    unsigned char sink[4096];
    for (;;) {
        std::size_t n = 0;
        const IoStatus status = read(sink, sizeof sink, n, deadline);
        if (status == IoStatus::closed) {
            SSL_shutdown(ssl_.get());
            return IoStatus::ok;
        }
        if (status != IoStatus::ok) {
            return status;
        }
    }
}

std::string Tls::version() const { return SSL_get_version(ssl_.get()); }

std::string Tls::cipher() const {
    const char* name = SSL_get_cipher_name(ssl_.get());
    return name != nullptr ? name : "";
}

}  // namespace tcplab::tls
