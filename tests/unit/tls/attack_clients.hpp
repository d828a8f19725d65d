#pragma once
// Hostile and well-behaved clients for the attack test. Each call opens one connection to
// 127.0.0.1:port, plays its part with blocking sockets whose every wait is capped by `patience`
// (so no attacker can hang the test), and reports what the server did to it.
#include <chrono>
#include <cstdint>
#include <string>

#include "test_support.hpp"
#include "tls/detail/ossl.hpp"

namespace tcplab::tls::test {

enum class Attack {
    slowloris,    // a real ClientHello, one byte every 100 ms
    garbage,      // plaintext that is not TLS
    silent,       // connects and says nothing
    renegotiate,  // good TLS 1.2 client that asks for a second handshake after the greeting
    no_cert,      // TLS 1.3 client without a certificate
    other_ca,     // TLS 1.3 client whose certificate another CA signed
    good,         // TLS 1.3 mTLS client: greeting, sends its name, waits for close_notify
};
const char* to_string(Attack kind);

struct AttackOutcome {
    bool connected = false;
    bool served = false;        // the greeting arrived
    bool dropped = false;       // the server ended the connection (alert, FIN or RST)
    bool renegotiated = false;  // a second handshake completed (must never happen)
    std::chrono::milliseconds greeting_latency{0};  // connect() to the last byte of the greeting
    std::chrono::milliseconds elapsed{0};           // connect() to the end of this client
    std::string detail;
};

class Attacker {
public:
    // Client contexts are built once and shared by every connection (SSL_CTX is thread-safe).
    Attacker(std::uint16_t port, const Pki& pki, std::chrono::milliseconds patience);
    AttackOutcome run(Attack kind) const;

private:
    AttackOutcome tls_client(SSL_CTX& ctx, bool renegotiate) const;
    AttackOutcome slowloris() const;
    // Sends bytes (maybe none), then waits for the server to close.
    AttackOutcome raw(const std::string& bytes) const;

    std::uint16_t port_;
    std::chrono::milliseconds patience_;
    SslCtxPtr good_, good12_, no_cert_, other_ca_;
    std::string client_hello_;  // a real TLS 1.3 ClientHello, for the slowloris
};

}  // namespace tcplab::tls::test
