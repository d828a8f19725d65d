#pragma once
// The CA toolkit: a self-signed CA and the server/client certificates it issues.
//   D/ca.pem, D/ca.key        (ca init)
//   D/NAME.pem, D/NAME.key    (ca issue, ca renew)
// Certificates are X.509 v3, SHA-256 (Ed25519 signs without a digest), random 128-bit serials.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tls/detail/key_file.hpp"

namespace tcplab::tls {

using SysTime = std::chrono::system_clock::time_point;

struct CaInitOptions {
    std::filesystem::path dir;
    std::string common_name = "tcplab CA";
    KeySpec key;
    int days = 3650;
};

enum class CertRole { server, client };

struct IssueOptions {
    std::filesystem::path dir;
    std::string name;  // becomes the subject CN and the file names NAME.pem / NAME.key
    CertRole role = CertRole::server;
    // "DNS:x", "IP:y" entries; empty means the default (server: DNS:localhost, IP:127.0.0.1,
    // IP:::1; client: none).
    std::vector<std::string> sans;
    KeySpec key;
    int days = 825;
    // Explicit validity (both or either) overrides `days`, e.g. to make an expired certificate.
    std::optional<SysTime> not_before;
    std::optional<SysTime> not_after;
};

struct IssuedFiles {
    std::filesystem::path cert;
    std::filesystem::path key;
};

// Creates dir (mode 0700) if needed and writes ca.pem / ca.key. Refuses to overwrite.
IssuedFiles init_ca(const CaInitOptions& options);

// Signs a new key for `name` with D/ca.key. Refuses to overwrite; checks the name is a plain
// file name and every SAN parses (UsageError naming the entry otherwise).
IssuedFiles issue_certificate(const IssueOptions& options);

struct RenewOptions {
    std::filesystem::path dir;
    std::string name;            // D/NAME.pem, made by issue_certificate
    int days = 825;              // validity from now
    std::optional<KeySpec> key;  // empty: a new key of the old one's type and size
};

// Re-issues D/NAME.pem before (or after) it expires: a new key, validity from now, the same
// subject, SANs and role (from its EKU), signed by D/ca.key. The old pair is kept as
// NAME.pem.old / NAME.key.old (replacing those of an earlier renewal). UsageError when there is
// no such certificate or it is not one `ca issue` makes.
IssuedFiles renew_certificate(const RenewOptions& options);

// "server" / "client" (UsageError otherwise).
CertRole parse_role(const std::string& text);

// "DNS:a,IP:1.2.3.4" -> {"DNS:a", "IP:1.2.3.4"}, validated (UsageError naming the entry).
std::vector<std::string> parse_san_list(const std::string& text);

// "2026-01-31", "2026-01-31T12:00:00Z" (UTC) -> time point (UsageError naming `flag`).
SysTime parse_utc_time(const std::string& text, const std::string& flag);

}  // namespace tcplab::tls
