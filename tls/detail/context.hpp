#pragma once
// SSL_CTX set-up shared by server and client: credentials (cert, key, CA), mutual verification
// with the right purpose (EKU), protocol versions and SSLKEYLOGFILE.
#include <filesystem>
#include <optional>
#include <string>

#include "tls/detail/ossl.hpp"

namespace tcplab::tls {

enum class TlsVersion { tls12, tls13 };

// "1.2" / "1.3" (also "tls1.2", "TLSv1.3"); UsageError naming `flag` otherwise.
TlsVersion parse_tls_version(const std::string& text, const std::string& flag);

struct Credentials {
    std::filesystem::path cert;  // our certificate (PEM; may be followed by its chain)
    std::filesystem::path key;   // our private key
    std::filesystem::path ca;    // the CA that must have signed the peer's certificate

    // D/NAME.pem, D/NAME.key, D/ca.pem
    static Credentials from_dir(const std::filesystem::path& dir, const std::string& name);
};

struct ContextOptions {
    TlsVersion min_version = TlsVersion::tls12;
    std::optional<TlsVersion> max_version;
};

// Server: demands a client certificate signed by credentials.ca with EKU clientAuth
// (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT). UsageError for missing/bad files or a key
// that does not match the certificate.
SslCtxPtr make_server_context(const Credentials& credentials, const ContextOptions& options);

// Client: verifies the server chain against credentials.ca with EKU serverAuth and presents our
// certificate. The host name/IP check is set per connection (see client.cpp).
SslCtxPtr make_client_context(const Credentials& credentials, const ContextOptions& options);

}  // namespace tcplab::tls
