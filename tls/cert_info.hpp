#pragma once
// What `tcplab ca show` prints and what the client/server log about a peer certificate: the
// fields the lab listed by hand, read from the certificate itself.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tls/detail/ossl.hpp"

namespace tcplab::tls {

struct CertSummary {
    std::string subject;  // "CN = s1, O = tcplab" (openssl's default one-line form)
    std::string issuer;
    std::string common_name;        // the subject CN alone (empty if none)
    std::vector<std::string> sans;  // "DNS:localhost", "IP:127.0.0.1", "IP:::1"
    std::string not_before;         // "2026-11-26T05:10:00Z"
    std::string not_after;
    std::chrono::system_clock::time_point not_after_time{};  // the same instant, to compute with
    std::string validity_state;                              // "valid", "expired", "not yet valid"
    std::string serial;    // uppercase hex, as `openssl x509 -serial` prints it
    std::string key_type;  // "EC", "RSA", "ED25519"
    int key_bits = 0;
    std::string key_detail;  // curve name for EC ("prime256v1"), empty otherwise
    bool is_ca = false;
    std::vector<std::string> ext_key_usage;  // "serverAuth", "clientAuth"
    std::string
        sha256_fingerprint;  // "AB:CD:..." uppercase, as `openssl x509 -fingerprint -sha256`
};

CertSummary summarize(X509& cert);

// Days a certificate is warned about before it expires (`ca show`, `ca issue`).
inline constexpr int kExpiryWarningDays = 30;

// "expires in 12 days (2026-12-16T10:00:00Z)" when the certificate's end of validity is at most
// `within_days` after `now`, "expired 3 days ago (...)" when it has passed, else nothing.
std::optional<std::string> expiry_warning(const CertSummary& summary,
                                          std::chrono::system_clock::time_point now,
                                          int within_days);

// Just the one-line subject (cheap: for per-connection logs).
std::string subject_of(const X509& cert);

// Reads a PEM certificate (UsageError naming the file on failure) and summarizes it.
CertSummary summarize_file(const std::filesystem::path& path);

// The multi-line `ca show` text: "subject:      CN = s1, O = tcplab\n..." one field per line.
std::string format_summary(const CertSummary& summary);

// One line for logs: "CN = s1, O = tcplab (issuer CN = tcplab CA, ...; expires ...)".
std::string one_line(const CertSummary& summary);

}  // namespace tcplab::tls
