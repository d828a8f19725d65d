#include "tls/detail/hints.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace tcplab::tls {

namespace {

// Alert descriptions (RFC 8446 section 6 / RFC 5246 section 7.2).
constexpr int kHandshakeFailure = 40;
constexpr int kBadCertificate = 42;
constexpr int kUnsupportedCertificate = 43;
constexpr int kCertificateRevoked = 44;
constexpr int kCertificateExpired = 45;
constexpr int kCertificateUnknown = 46;
constexpr int kUnknownCa = 48;
constexpr int kDecryptError = 51;
constexpr int kProtocolVersion = 70;
constexpr int kCertificateRequired = 116;

std::string verify_text(long result) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
}

}  // namespace

std::string alert_name(int description) {
    // OpenSSL 3.0 names only the TLS 1.2 alerts; these are TLS 1.3's (RFC 8446 section 6).
    switch (description) {
        case 109:
            return "missing extension";
        case 112:
            return "unrecognized name";
        case 115:
            return "unknown PSK identity";
        case kCertificateRequired:
            return "certificate required";
        case 120:
            return "no application protocol";
        default:
            return SSL_alert_desc_string_long(description);
    }
}

std::string describe_server_verify_error(long result, const std::string& verify_name) {
    std::string hint;
    switch (result) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
            hint = "is --ca the CA that signed the server?";
            break;
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            hint = "the server certificate's SANs do not name '" + verify_name +
                   "'; connect by a name it holds, pass --servername, or reissue it with --san";
            break;
        case X509_V_ERR_CERT_HAS_EXPIRED:
            hint = "the server certificate has expired";
            break;
        case X509_V_ERR_CERT_NOT_YET_VALID:
            hint = "the server certificate is not valid yet (clock?)";
            break;
        case X509_V_ERR_INVALID_PURPOSE:
            hint = "the server certificate lacks the serverAuth EKU (issued with --role client?)";
            break;
        default:
            break;
    }
    return verify_text(result) + (hint.empty() ? "" : " (" + hint + ")");
}

std::string describe_client_verify_error(long result) {
    std::string hint;
    switch (result) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            hint = "client certificate not signed by our --ca";
            break;
        case X509_V_ERR_CERT_HAS_EXPIRED:
            hint = "client certificate has expired";
            break;
        case X509_V_ERR_INVALID_PURPOSE:
            hint = "client certificate lacks the clientAuth EKU";
            break;
        default:
            break;
    }
    return verify_text(result) + (hint.empty() ? "" : " (" + hint + ")");
}

std::string describe_alert_from_server(int description) {
    const std::string base = "server sent alert '" + alert_name(description) + "'";
    switch (description) {
        case kCertificateRequired:
            return "server requires a client certificate (" + base +
                   "; pass --cert/--key or --dir/--name)";
        case kHandshakeFailure:
            return base + " (no client certificate sent, or no common cipher/version)";
        case kUnknownCa:
            return "server does not trust our certificate (" + base +
                   "; was --cert issued by the server's CA?)";
        case kCertificateExpired:
            return "server says our certificate has expired (" + base + ")";
        case kUnsupportedCertificate:
            return "server rejected our certificate's purpose (" + base +
                   "; issue it with --role client)";
        case kBadCertificate:
        case kCertificateUnknown:
        case kCertificateRevoked:
        case kDecryptError:
            return "server rejected our certificate (" + base + ")";
        case kProtocolVersion:
            return "no TLS version in common (" + base + "; check --min-version/--max-version)";
        default:
            return base;
    }
}

}  // namespace tcplab::tls
