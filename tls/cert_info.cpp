#include "tls/cert_info.hpp"

#include <arpa/inet.h>
#include <openssl/core_names.h>

#include <cstdio>
#include <ctime>

#include "tls/detail/key_file.hpp"

namespace tcplab::tls {

namespace {

std::string name_to_string(const X509_NAME* name) {
    BioPtr mem(BIO_new(BIO_s_mem()));
    if (!mem || name == nullptr) {
        return {};
    }
    // XN_FLAG_ONELINE with UTF-8 output: the same form as `openssl x509 -subject` prints.
    X509_NAME_print_ex(mem.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    const long n = BIO_get_mem_data(mem.get(), &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string common_name_of(const X509_NAME* name) {
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) {
        return {};
    }
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n < 0) {
        return {};
    }
    std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
    return out;
}

std::string time_to_string(const ASN1_TIME* t) {
    std::tm tm{};
    if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
        return "?";
    }
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::chrono::system_clock::time_point time_point_of(const ASN1_TIME* t) {
    std::tm tm{};
    if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
        return {};
    }
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string hex(const unsigned char* data, std::size_t n, const char* separator) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        if (i != 0) {
            out += separator;
        }
        out += kDigits[data[i] >> 4];
        out += kDigits[data[i] & 0xF];
    }
    return out;
}

std::string ip_to_string(const ASN1_OCTET_STRING* ip) {
    const int len = ASN1_STRING_length(ip);
    char buf[INET6_ADDRSTRLEN] = {};
    if ((len == 4 && inet_ntop(AF_INET, ASN1_STRING_get0_data(ip), buf, sizeof buf) != nullptr) ||
        (len == 16 && inet_ntop(AF_INET6, ASN1_STRING_get0_data(ip), buf, sizeof buf) != nullptr)) {
        return buf;
    }
    return "<" + std::to_string(len) + "-byte address>";
}

std::vector<std::string> sans_of(X509& cert) {
    std::vector<std::string> out;
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) {
        return out;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_DNS) {
            const ASN1_STRING* s = gn->d.dNSName;
            out.push_back("DNS:" +
                          std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                      static_cast<std::size_t>(ASN1_STRING_length(s))));
        } else if (gn->type == GEN_IPADD) {
            out.push_back("IP:" + ip_to_string(gn->d.iPAddress));
        } else if (gn->type == GEN_EMAIL) {
            const ASN1_STRING* s = gn->d.rfc822Name;
            out.push_back("email:" +
                          std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                      static_cast<std::size_t>(ASN1_STRING_length(s))));
        } else {
            out.push_back("other:<type " + std::to_string(gn->type) + ">");
        }
    }
    return out;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : separator) + item;
    }
    return out;
}

}  // namespace

std::optional<std::string> expiry_warning(const CertSummary& summary,
                                          std::chrono::system_clock::time_point now,
                                          int within_days) {
    const auto left = summary.not_after_time - now;
    if (left > std::chrono::days(within_days)) {
        return std::nullopt;
    }
    // To the nearest day: a certificate issued for 10 days says 10 a moment later, not 9.
    const auto days = std::chrono::round<std::chrono::days>(left < left.zero() ? -left : left);
    const std::string count = std::to_string(days.count()) + (days.count() == 1 ? " day" : " days");
    if (left < left.zero()) {
        return "expired " + count + " ago (" + summary.not_after + ")";
    }
    return "expires in " + count + " (" + summary.not_after + ")";
}

CertSummary summarize(X509& cert) {
    CertSummary s;
    s.subject = name_to_string(X509_get_subject_name(&cert));
    s.issuer = name_to_string(X509_get_issuer_name(&cert));
    s.common_name = common_name_of(X509_get_subject_name(&cert));
    s.sans = sans_of(cert);
    s.not_before = time_to_string(X509_get0_notBefore(&cert));
    s.not_after = time_to_string(X509_get0_notAfter(&cert));
    s.not_after_time = time_point_of(X509_get0_notAfter(&cert));
    if (X509_cmp_current_time(X509_get0_notBefore(&cert)) > 0) {
        s.validity_state = "not yet valid";
    } else if (X509_cmp_current_time(X509_get0_notAfter(&cert)) < 0) {
        s.validity_state = "expired";
    } else {
        s.validity_state = "valid";
    }

    BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(&cert), nullptr));
    if (serial) {
        OsslStringPtr text(BN_bn2hex(serial.get()));
        s.serial = text ? text.get() : "?";
    }

    if (const EVP_PKEY* key = X509_get0_pubkey(&cert)) {
        const int id = EVP_PKEY_get_base_id(key);
        s.key_type = id == EVP_PKEY_EC        ? "EC"
                     : id == EVP_PKEY_RSA     ? "RSA"
                     : id == EVP_PKEY_ED25519 ? "ED25519"
                                              : OBJ_nid2sn(id);
        s.key_bits = EVP_PKEY_get_bits(key);
        char group[64] = {};
        if (id == EVP_PKEY_EC &&
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           nullptr) == 1) {
            s.key_detail = group;
        }
    }

    s.is_ca = X509_check_ca(&cert) != 0;
    const std::uint32_t xku = X509_get_extended_key_usage(&cert);
    if (X509_get_extension_flags(&cert) & EXFLAG_XKUSAGE) {
        if (xku & XKU_SSL_SERVER) s.ext_key_usage.push_back("serverAuth");
        if (xku & XKU_SSL_CLIENT) s.ext_key_usage.push_back("clientAuth");
        if (xku & XKU_CODE_SIGN) s.ext_key_usage.push_back("codeSigning");
        if (xku & XKU_SMIME) s.ext_key_usage.push_back("emailProtection");
    }

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(&cert, EVP_sha256(), digest, &len) == 1) {
        s.sha256_fingerprint = hex(digest, len, ":");
    }
    drain_errors();  // lookups above may queue benign "not found" entries
    return s;
}

std::string subject_of(const X509& cert) { return name_to_string(X509_get_subject_name(&cert)); }

CertSummary summarize_file(const std::filesystem::path& path) {
    X509Ptr cert = load_certificate(path);
    return summarize(*cert);
}

std::string format_summary(const CertSummary& s) {
    std::string key = s.key_type + " " + std::to_string(s.key_bits) + " bits";
    if (!s.key_detail.empty()) {
        key += " (" + s.key_detail + ")";
    }
    std::string out;
    const auto line = [&](const char* label, const std::string& value) {
        out += label;
        out += value;
        out += "\n";
    };
    line("subject:     ", s.subject);
    line("issuer:      ", s.issuer);
    line("san:         ", s.sans.empty() ? "(none)" : join(s.sans, ", "));
    line("not before:  ", s.not_before);
    line("not after:   ", s.not_after + " (" + s.validity_state + ")");
    line("serial:      ", s.serial);
    line("key:         ", key);
    line("ca:          ", s.is_ca ? "yes" : "no");
    line("eku:         ", s.ext_key_usage.empty() ? "(any)" : join(s.ext_key_usage, ", "));
    line("sha256:      ", s.sha256_fingerprint);
    return out;
}

std::string one_line(const CertSummary& s) {
    return s.subject + " (issuer " + s.issuer + "; " + s.key_type + " " +
           std::to_string(s.key_bits) + "; valid until " + s.not_after +
           (s.sans.empty() ? "" : "; san " + join(s.sans, ",")) + ")";
}

}  // namespace tcplab::tls
