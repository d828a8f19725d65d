#pragma once
// The mTLS client (`tcplab tls client`), usable as a library by the scenario runner.
//
//   tls::ClientConfig config;
//   config.credentials = tls::Credentials::from_dir("pki", "c1");
//   config.connect = "198.19.1.2:4433";
//   config.send_bytes = 100'000'000;          // "TLS bulk N bytes" against a --mode sink server
//   tls::ClientResult r = tls::run_client(config);
//   if (!r.ok) { ... r.error ... }             // verification failure, alert, timeout, ...
//
// It verifies the server chain against credentials.ca (EKU serverAuth) and the host name/IP
// against the SANs, presents its certificate, and only reports success after reading from the
// server: with TLS 1.3 the handshake completes on the client before the server has judged the
// client certificate, so a rejection arrives as an alert on the first read and is reported.
// Bad configuration (missing files, bad endpoint) throws UsageError; everything that happens on
// the wire is reported in the result.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tls/cert_info.hpp"
#include "tls/detail/context.hpp"

namespace tcplab::tls {

struct ClientConfig {
    Credentials credentials;
    std::string connect;     // HOST:PORT or [V6]:PORT
    std::string servername;  // SNI and verification name; default: the HOST of `connect`
    std::string name;        // sent first, followed by "\n" (the lab client's name)
    std::string message;     // sent after the name (already unescaped; see unescape())
    // Stream this many bytes (instead of name/message), then half-close with close_notify and
    // read the sink's reply; ok only if its byte count and SHA-256 match what was sent.
    std::uint64_t send_bytes = 0;
    std::chrono::milliseconds timeout{30'000};  // connect+handshake, and each wait for data
    // After a reply has started, end the session ourselves (close_notify) once the server has
    // been silent this long; for servers that answer and then wait (echo). 0 = wait for the
    // server to close.
    std::chrono::milliseconds reply_wait{0};
    ContextOptions tls;
    int send_buffer = 0;  // bytes of SO_SNDBUF; 0 = the kernel's autotuning
    // Called with everything received (e.g. print to stdout). When empty, data is kept in
    // ClientResult::received (up to 1 MiB).
    std::function<void(std::string_view)> on_data;
};

struct ClientResult {
    bool ok = false;
    std::string error;    // plain words; empty when ok
    std::string alert;    // alert the server sent, e.g. "certificate required" (empty if none)
    std::string version;  // "TLSv1.3"
    std::string cipher;
    std::optional<CertSummary> server_certificate;
    double handshake_ms = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::string sha256;  // of the bytes sent (send_bytes mode)
    double seconds = 0;  // send_bytes: first byte to the sink's reply
    double mbytes_per_s = 0;
    std::string received;    // when no on_data callback
    std::string sink_reply;  // the sink's "bytes=N sha256=... seconds=... mbytes_per_s=..." line
    bool sink_verified = false;  // the sink's byte count and SHA-256 match what we sent
    bool clean_close = false;    // the server ended with close_notify
};

ClientResult run_client(const ClientConfig& config);

// "GET / HTTP/1.0\r\n\r\n" with \r \n \t \\ \0 and \xHH escapes turned into bytes
// (UsageError naming `flag` for a bad escape).
std::string unescape(std::string_view text, std::string_view flag = "--message");

}  // namespace tcplab::tls
