// The mTLS server's first bytes: what `tcplab tls server` does with a new connection before any
// certificate is checked. The attacker's bytes arrive on one end of a socketpair (then EOF); the
// other end goes through the server's own Tls::accept() with the real server SSL_CTX from
// tls/context (CA and server certificate issued once at start-up by tls/ca). The handshake can
// never succeed (no client key), so every input must end in a clean refusal within the deadline.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/errors.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tls/ca.hpp"
#include "tls/detail/context.hpp"
#include "tls/detail/io.hpp"

namespace {

using namespace tcplab::tls;

SslCtxPtr make_context() {
    // Keys exist on disk only while the context loads them (0700 dir, 0600 keys).
    const tcplab::test_support::ScratchDir dir("fuzz-pki");
    const auto pki = dir.path() / "pki";
    CaInitOptions ca;
    ca.dir = pki;
    init_ca(ca);
    IssueOptions server;
    server.dir = pki;
    server.name = "server";
    server.role = CertRole::server;
    issue_certificate(server);
    return make_server_context(Credentials::from_dir(pki, "server"), {});
}

SSL_CTX& server_context() {
    static const SslCtxPtr ctx = [] {
        ignore_sigpipe();
        try {
            return make_context();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "tls fuzz set-up failed: %s\n", e.what());
            std::abort();
        }
    }();
    return *ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    SSL_CTX& ctx = server_context();
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
        std::perror("socketpair");
        std::abort();
    }
    const tcplab::UniqueFd client(fds[0]);
    tcplab::UniqueFd server(fds[1]);
    // The socket buffer (>= 200 KB) takes any input libFuzzer produces with our -max_len.
    std::size_t sent = 0;
    while (sent < size) {
        const ssize_t n = ::write(client.get(), data + sent, size - sent);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(client.get(), SHUT_WR);
    Tls tls(ctx, std::move(server), -1);
    const IoStatus status = tls.accept(Clock::now() + std::chrono::seconds(5));
    if (status == IoStatus::ok || status == IoStatus::timeout) {
        std::fprintf(stderr, "accept ended with %s on attacker bytes\n", to_string(status));
        std::abort();
    }
    (void)tls.error();
    return 0;
}
