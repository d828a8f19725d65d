#include "tls/detail/context.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "base/errors.hpp"

namespace tcplab::tls {

namespace {

// NSS key log lines go to $SSLKEYLOGFILE (created 0600: it holds session secrets) so Wireshark
// can decrypt captures of our sessions, as curl and browsers do. The file is opened when the
// first context is made with the variable set, and stays open for the process.
std::mutex keylog_mutex;
int keylog_fd = -1;

bool open_keylog() {
    const char* path = std::getenv("SSLKEYLOGFILE");
    if (path == nullptr || *path == '\0') {
        return false;
    }
    const std::lock_guard lock(keylog_mutex);
    if (keylog_fd < 0) {
        keylog_fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    }
    return keylog_fd >= 0;  // a key log is a debugging aid; failing to open one is not fatal
}

void keylog_line(const SSL* /*ssl*/, const char* line) {
    std::string text(line);
    text += '\n';
    const std::lock_guard lock(keylog_mutex);
    if (keylog_fd >= 0) {
        [[maybe_unused]] const ssize_t n = ::write(keylog_fd, text.data(), text.size());
    }
}

// Sessions a server keeps for resumption, the oldest evicted first. TLS 1.3 issues two per
// connection, so the last ~500 clients can resume. Each costs ~14 kB (it holds the client's
// parsed certificate): measured RSS 10 MB idle, 26 MB with the cache full.
constexpr long kSessionCacheSize = 1024;

int to_openssl(TlsVersion v) { return v == TlsVersion::tls13 ? TLS1_3_VERSION : TLS1_2_VERSION; }

void require_file(const std::filesystem::path& path, const char* flag) {
    std::error_code ec;
    if (path.empty()) {
        throw UsageError(std::string(flag) + " is required (or --dir D --name N)");
    }
    if (!std::filesystem::exists(path, ec)) {
        throw UsageError(std::string(flag) + " " + path.string() + ": file not found");
    }
}

SslCtxPtr make_context(const SSL_METHOD* method, const Credentials& c,
                       const ContextOptions& options, int purpose) {
    require_file(c.cert, "--cert");
    require_file(c.key, "--key");
    require_file(c.ca, "--ca");
    SslCtxPtr ctx = checked(SslCtxPtr(SSL_CTX_new(method)), "creating the TLS context");
    if (SSL_CTX_set_min_proto_version(ctx.get(), to_openssl(options.min_version)) != 1 ||
        (options.max_version &&
         SSL_CTX_set_max_proto_version(ctx.get(), to_openssl(*options.max_version)) != 1)) {
        throw_openssl("setting the TLS versions");
    }
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), c.cert.c_str()) != 1) {
        throw UsageError(
            with_errors("--cert " + c.cert.string() + ": not a usable PEM certificate"));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), c.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        const std::string why = drain_errors();
        if (why.find("key values mismatch") != std::string::npos) {
            throw UsageError("--key " + c.key.string() + " does not match the certificate " +
                             c.cert.string());
        }
        throw UsageError("--key " + c.key.string() + ": not a usable PEM private key: " + why);
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
        drain_errors();
        throw UsageError("--key " + c.key.string() + " does not match the certificate " +
                         c.cert.string());
    }
    if (SSL_CTX_load_verify_file(ctx.get(), c.ca.c_str()) != 1) {
        throw UsageError(
            with_errors("--ca " + c.ca.string() + ": not a usable PEM CA certificate"));
    }
    // The peer's certificate must carry the EKU for its role: a client certificate cannot
    // serve, a server certificate cannot log in.
    if (X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(ctx.get()), purpose) != 1) {
        throw_openssl("setting the verification purpose");
    }
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE);
    if (open_keylog()) {
        SSL_CTX_set_keylog_callback(ctx.get(), keylog_line);
    }
    return ctx;
}

}  // namespace

TlsVersion parse_tls_version(const std::string& text, const std::string& flag) {
    if (text == "1.2" || text == "tls1.2" || text == "TLSv1.2") {
        return TlsVersion::tls12;
    }
    if (text == "1.3" || text == "tls1.3" || text == "TLSv1.3") {
        return TlsVersion::tls13;
    }
    throw UsageError(flag + " '" + text + "': expected 1.2 or 1.3");
}

Credentials Credentials::from_dir(const std::filesystem::path& dir, const std::string& name) {
    return Credentials{dir / (name + ".pem"), dir / (name + ".key"), dir / "ca.pem"};
}

SslCtxPtr make_server_context(const Credentials& credentials, const ContextOptions& options) {
    SslCtxPtr ctx =
        make_context(TLS_server_method(), credentials, options, X509_PURPOSE_SSL_CLIENT);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Tell clients which CA we accept (the CertificateRequest's certificate_authorities).
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(credentials.ca.c_str());
    if (names == nullptr) {
        throw UsageError(
            with_errors("--ca " + credentials.ca.string() + ": no CA certificate in it"));
    }
    SSL_CTX_set_client_CA_list(ctx.get(), names);  // takes ownership
    // Client-initiated renegotiation (TLS 1.2) is refused with a no_renegotiation warning: it
    // buys a client another full handshake of our CPU per request (OpenSSL 3's default, made
    // explicit so a system openssl.cnf cannot turn it back on).
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
    static const unsigned char kSessionContext[] = "tcplab";
    SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);
    // Resumption is stateful: a TLS 1.3 ticket (or a TLS 1.2 session ID) names a session kept in
    // this process's bounded cache. OpenSSL's default, a stateless ticket, carries the whole
    // session (the client's certificate included) encrypted under a key that lives as long as
    // the process, so a stolen ticket key opens every resumption secret issued with it; and
    // building one costs an encode, a decode (the client certificate parsed again) and an
    // encryption per ticket — about a fifth of the server's CPU per full handshake here. A
    // stateless ticket's only advantage, resuming on another server of a farm, does not apply
    // to a single-process server whose ticket key is random per run anyway.
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    SSL_CTX_sess_set_cache_size(ctx.get(), kSessionCacheSize);
    return ctx;
}

SslCtxPtr make_client_context(const Credentials& credentials, const ContextOptions& options) {
    SslCtxPtr ctx =
        make_context(TLS_client_method(), credentials, options, X509_PURPOSE_SSL_SERVER);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    return ctx;
}

}  // namespace tcplab::tls
