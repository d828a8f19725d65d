#include "attack_clients.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "tls/detail/context.hpp"
#include "tls/detail/io.hpp"
#include "tls/server.hpp"

namespace tcplab::tls::test {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// A blocking loopback connection whose every send/recv gives up after `patience`.
UniqueFd connect_loopback(std::uint16_t port, milliseconds patience) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return fd;
    }
    timeval tv{static_cast<time_t>(patience.count() / 1000),
               static_cast<suseconds_t>(patience.count() % 1000 * 1000)};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in.sin_port = htons(port);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&in), sizeof in) != 0) {
        return UniqueFd();
    }
    return fd;
}

// Reads and discards until the server closes (true) or a recv waits `patience` in vain (false).
bool wait_for_close(int fd, std::string& detail) {
    char buf[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            return true;
        }
        if (n < 0 && errno != EINTR) {
            detail = std::string("still open: ") + std::strerror(errno);
            return false;
        }
    }
}

// The text of the first queued OpenSSL error, or the socket's errno.
std::string ssl_failure(SSL* ssl, int rc) {
    const int err = SSL_get_error(ssl, rc);
    const int saved = errno;
    std::string text = drain_errors();
    if (!text.empty()) {
        return text;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
        return "close_notify";
    }
    return err == SSL_ERROR_SYSCALL && saved != 0 ? std::strerror(saved) : "connection closed";
}

bool timed_out(int rc, SSL* ssl) {
    return SSL_get_error(ssl, rc) == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

const char* to_string(Attack kind) {
    switch (kind) {
        case Attack::slowloris:
            return "slowloris";
        case Attack::garbage:
            return "garbage";
        case Attack::silent:
            return "silent";
        case Attack::renegotiate:
            return "renegotiate";
        case Attack::no_cert:
            return "no_cert";
        case Attack::other_ca:
            return "other_ca";
        case Attack::good:
            return "good";
    }
    return "?";
}

Attacker::Attacker(std::uint16_t port, const Pki& pki, milliseconds patience)
    : port_(port), patience_(patience) {
    const Credentials good = Credentials::from_dir(pki.dir, "c1");
    ContextOptions tls13;
    tls13.min_version = TlsVersion::tls13;
    ContextOptions tls12;
    tls12.max_version = TlsVersion::tls12;  // renegotiation exists only up to TLS 1.2
    good_ = make_client_context(good, tls13);
    good12_ = make_client_context(good, tls12);
    // Another CA's client certificate, but trusting our server: the server is the one to judge.
    other_ca_ = make_client_context(
        Credentials{pki.other_dir / "c1.pem", pki.other_dir / "c1.key", good.ca}, tls13);
    no_cert_ = checked(SslCtxPtr(SSL_CTX_new(TLS_client_method())), "no-cert context");
    SSL_CTX_set_min_proto_version(no_cert_.get(), TLS1_3_VERSION);
    SSL_CTX_load_verify_file(no_cert_.get(), good.ca.c_str());
    SSL_CTX_set_verify(no_cert_.get(), SSL_VERIFY_PEER, nullptr);

    // The ClientHello the good client would send, captured through memory BIOs.
    SslPtr ssl(checked(SslPtr(SSL_new(good_.get())), "ClientHello"));
    BIO* out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl.get(), BIO_new(BIO_s_mem()), out);  // ssl owns both
    SSL_connect(ssl.get());                             // writes the hello, then wants to read
    char* data = nullptr;
    const long size = BIO_get_mem_data(out, &data);
    client_hello_.assign(data, static_cast<std::size_t>(size));
}

AttackOutcome Attacker::run(Attack kind) const {
    switch (kind) {
        case Attack::slowloris:
            return slowloris();
        case Attack::garbage: {
            std::mt19937 rng(std::random_device{}());
            std::string bytes = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
            for (int i = 0; i < 512; ++i) {
                bytes += static_cast<char>(rng());
            }
            return raw(bytes);
        }
        case Attack::silent:
            return raw("");
        case Attack::renegotiate:
            return tls_client(*good12_, true);
        case Attack::no_cert:
            return tls_client(*no_cert_, false);
        case Attack::other_ca:
            return tls_client(*other_ca_, false);
        case Attack::good:
            return tls_client(*good_, false);
    }
    return {};
}

AttackOutcome Attacker::raw(const std::string& bytes) const {
    AttackOutcome o;
    const auto start = Clock::now();
    const UniqueFd fd = connect_loopback(port_, patience_);
    o.connected = static_cast<bool>(fd);
    if (o.connected) {
        if (!bytes.empty()) {
            // The server may close after the first bytes; a failed send is part of the outcome.
            [[maybe_unused]] const ssize_t n =
                ::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        }
        o.dropped = wait_for_close(fd.get(), o.detail);
    }
    o.elapsed = since(start);
    return o;
}

AttackOutcome Attacker::slowloris() const {
    AttackOutcome o;
    const auto start = Clock::now();
    const UniqueFd fd = connect_loopback(port_, patience_);
    o.connected = static_cast<bool>(fd);
    // One byte of a real ClientHello every 100 ms: each byte is progress, so only a deadline on
    // the whole handshake (not a per-read timeout) gets rid of it.
    for (std::size_t i = 0; o.connected && !o.dropped && since(start) < patience_; ++i) {
        if (i < client_hello_.size() &&
            ::send(fd.get(), client_hello_.data() + i, 1, MSG_NOSIGNAL) != 1) {
            o.dropped = true;
            break;
        }
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 100) == 1) {
            char c;
            const ssize_t n = ::recv(fd.get(), &c, 1, MSG_DONTWAIT);
            o.dropped = n == 0 || (n < 0 && errno == ECONNRESET);
        }
    }
    if (!o.dropped) {
        o.detail = "still open after " + std::to_string(since(start).count()) + " ms";
    }
    o.elapsed = since(start);
    return o;
}

AttackOutcome Attacker::tls_client(SSL_CTX& ctx, bool renegotiate) const {
    AttackOutcome o;
    const auto start = Clock::now();
    UniqueFd fd = connect_loopback(port_, patience_);
    o.connected = static_cast<bool>(fd);
    if (!o.connected) {
        o.elapsed = since(start);
        return o;
    }
    SslPtr ssl(SSL_new(&ctx));
    SSL_set_fd(ssl.get(), fd.get());
    ERR_clear_error();
    const auto fail = [&](int rc, const char* step) {
        o.dropped = !timed_out(rc, ssl.get());
        o.detail =
            std::string(step) + ": " + (o.dropped ? ssl_failure(ssl.get(), rc) : "timed out");
    };
    const int hs = SSL_connect(ssl.get());
    if (hs != 1) {
        fail(hs, "handshake");
    } else {
        // With TLS 1.3 a refusal of our certificate arrives here, as an alert on the first read.
        std::string got;
        const std::string greeting = kGreeting;
        char buf[256];
        while (got.size() < greeting.size()) {
            const int n = SSL_read(ssl.get(), buf, sizeof buf);
            if (n <= 0) {
                fail(n, "reading the greeting");
                break;
            }
            got.append(buf, static_cast<std::size_t>(n));
        }
        o.served = got == greeting;
        o.greeting_latency = since(start);
        if (o.served && renegotiate) {
            // The server must refuse (no_renegotiation) or ignore this and end the session as
            // usual; a completed second handshake would be a failure.
            if (SSL_renegotiate(ssl.get()) == 1) {
                const int rc = SSL_do_handshake(ssl.get());
                o.renegotiated = rc == 1 && SSL_renegotiate_pending(ssl.get()) == 0;
                o.detail = "renegotiation: " +
                           (rc == 1 ? std::string("completed") : ssl_failure(ssl.get(), rc));
            }
        } else if (o.served) {
            static const char kName[] = "good-client\n";
            SSL_write(ssl.get(), kName, sizeof kName - 1);
        }
        // Until the server ends the session (close_notify, alert or close) or patience runs out.
        for (;;) {
            const int n = SSL_read(ssl.get(), buf, sizeof buf);
            if (n <= 0) {
                if (timed_out(n, ssl.get())) {
                    o.detail += (o.detail.empty() ? "" : "; ") +
                                std::string("server did not end the session");
                } else {
                    o.dropped = !o.served;
                    drain_errors();
                }
                break;
            }
        }
        SSL_shutdown(ssl.get());
    }
    o.elapsed = since(start);
    return o;
}

}  // namespace tcplab::tls::test
