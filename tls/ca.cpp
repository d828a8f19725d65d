#include "tls/ca.hpp"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include "base/errors.hpp"
#include "tls/cert_info.hpp"

namespace tcplab::tls {

namespace {

namespace fs = std::filesystem;

void add_extension(X509& cert, X509V3_CTX& ctx, int nid, const std::string& value) {
    X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(&cert, ext.get(), -1) != 1) {
        throw_openssl(std::string("adding extension ") + OBJ_nid2sn(nid) + "=" + value);
    }
}

void set_random_serial(X509& cert) {
    BignumPtr bn(checked(BignumPtr(BN_new()), "allocating a serial"));
    // Exactly 128 random bits (top bit set), positive: 16 or 17 DER octets, within RFC 5280's 20.
    if (BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) {
        throw_openssl("generating a random serial");
    }
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    if (!serial || X509_set_serialNumber(&cert, serial.get()) != 1) {
        throw_openssl("setting the serial");
    }
}

void set_time(ASN1_TIME* field, SysTime when) {
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    if (ASN1_TIME_set(field, t) == nullptr) {
        throw_openssl("setting the validity period");
    }
}

X509NamePtr make_name(const std::string& common_name) {
    X509NamePtr name(checked(X509NamePtr(X509_NAME_new()), "allocating a name"));
    const auto add = [&](const char* field, const std::string& value) {
        if (X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                       -1, 0) != 1) {
            throw UsageError(
                with_errors(std::string("subject ") + field + "='" + value + "' is not valid"));
        }
    };
    add("O", "tcplab");
    add("CN", common_name);
    return name;
}

// Ed25519 signs the message itself; every other key type signs a SHA-256 digest.
void sign(X509& cert, EVP_PKEY& key) {
    const EVP_MD* md = EVP_PKEY_get_base_id(&key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
    if (X509_sign(&cert, &key, md) <= 0) {
        throw_openssl("signing the certificate");
    }
}

X509Ptr new_cert(const X509_NAME& subject, EVP_PKEY& public_key, SysTime not_before,
                 SysTime not_after) {
    X509Ptr cert(checked(X509Ptr(X509_new()), "allocating a certificate"));
    if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
        X509_set_subject_name(cert.get(), &subject) != 1 ||
        X509_set_pubkey(cert.get(), &public_key) != 1) {
        throw_openssl("building the certificate");
    }
    set_random_serial(*cert);
    set_time(X509_getm_notBefore(cert.get()), not_before);
    set_time(X509_getm_notAfter(cert.get()), not_after);
    return cert;
}

void check_plain_name(const std::string& name) {
    if (name.empty() || name == "." || name == ".." || name == "ca" ||
        name.find_first_of("/\\") != std::string::npos || name.front() == '-') {
        throw UsageError("--name '" + name +
                         "': must be a plain file name (not 'ca', no '/'), e.g. server1");
    }
}

void ensure_dir(const fs::path& dir) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) {
        return;
    }
    fs::create_directories(dir, ec);
    if (ec) {
        throw UsageError("--dir " + dir.string() + ": cannot create: " + ec.message());
    }
    // The directory holds private keys: owner only.
    ::chmod(dir.c_str(), 0700);
}

}  // namespace

CertRole parse_role(const std::string& text) {
    if (text == "server") {
        return CertRole::server;
    }
    if (text == "client") {
        return CertRole::client;
    }
    throw UsageError("--role '" + text + "': expected server or client");
}

std::vector<std::string> parse_san_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string::npos) {
            comma = text.size();
        }
        std::string entry = text.substr(start, comma - start);
        while (!entry.empty() && entry.front() == ' ') {
            entry.erase(0, 1);
        }
        start = comma + 1;
        if (entry.empty()) {
            continue;
        }
        const auto colon = entry.find(':');
        const std::string type = colon == std::string::npos ? "" : entry.substr(0, colon);
        const std::string value = colon == std::string::npos ? "" : entry.substr(colon + 1);
        if (type == "DNS" || type == "dns") {
            const bool ok =
                !value.empty() && value.size() <= 253 &&
                value.find_first_not_of(
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.*") ==
                    std::string::npos;
            if (!ok) {
                throw UsageError("--san entry '" + entry + "': not a valid DNS name");
            }
            out.push_back("DNS:" + value);
        } else if (type == "IP" || type == "ip") {
            unsigned char buf[16];
            if (inet_pton(AF_INET, value.c_str(), buf) != 1 &&
                inet_pton(AF_INET6, value.c_str(), buf) != 1) {
                throw UsageError("--san entry '" + entry + "': not an IPv4 or IPv6 address");
            }
            out.push_back("IP:" + value);
        } else {
            throw UsageError("--san entry '" + entry + "': expected DNS:name or IP:address");
        }
    }
    return out;
}

SysTime parse_utc_time(const std::string& text, const std::string& flag) {
    std::tm tm{};
    int consumed = 0;
    const bool date_only = std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon,
                                       &tm.tm_mday, &consumed) == 3 &&
                           static_cast<std::size_t>(consumed) == text.size();
    bool ok = date_only;
    if (!ok) {
        consumed = 0;
        ok = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
                         &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) == 6 &&
             static_cast<std::size_t>(consumed) == text.size();
    }
    if (!ok || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1950 ||
        tm.tm_year > 9999) {
        throw UsageError(flag + " '" + text +
                         "': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)");
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

IssuedFiles init_ca(const CaInitOptions& options) {
    if (options.days <= 0) {
        throw UsageError("--days " + std::to_string(options.days) + ": must be positive");
    }
    ensure_dir(options.dir);
    const IssuedFiles files{options.dir / "ca.pem", options.dir / "ca.key"};
    std::error_code ec;
    if (fs::exists(files.cert, ec) || fs::exists(files.key, ec)) {
        throw UsageError(options.dir.string() +
                         " already holds a CA (ca.pem/ca.key); refusing to overwrite");
    }
    PkeyPtr key = generate_key(options.key);
    X509NamePtr name = make_name(options.common_name);
    const auto now = std::chrono::system_clock::now();
    X509Ptr cert =
        new_cert(*name, *key, now - std::chrono::minutes(5), now + std::chrono::days(options.days));
    if (X509_set_issuer_name(cert.get(), name.get()) != 1) {
        throw_openssl("setting the issuer");
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    add_extension(*cert, ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(*cert, ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(*cert, ctx, NID_subject_key_identifier, "hash");
    add_extension(*cert, ctx, NID_authority_key_identifier, "keyid:always");
    sign(*cert, *key);
    write_private_key(files.key, *key);
    write_certificate(files.cert, *cert);
    return files;
}

namespace {

struct LoadedCa {
    X509Ptr cert;
    PkeyPtr key;
};

LoadedCa load_ca(const fs::path& dir) {
    LoadedCa ca{load_certificate(dir / "ca.pem"), load_private_key(dir / "ca.key")};
    if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
        throw UsageError(with_errors("ca.key does not match ca.pem in " + dir.string()));
    }
    return ca;
}

// What a leaf certificate says besides its key and validity.
struct LeafFields {
    const X509_NAME& subject;
    CertRole role;
    const std::vector<std::string>& sans;  // as OpenSSL's config syntax: "DNS:x", "IP:y"
};

// A certificate for `key` signed by the CA, with the extensions every issued certificate has.
X509Ptr sign_leaf(const LeafFields& fields, EVP_PKEY& key, const KeySpec& spec, SysTime not_before,
                  SysTime not_after, const LoadedCa& ca) {
    X509Ptr cert = new_cert(fields.subject, key, not_before, not_after);
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert.get())) != 1) {
        throw_openssl("setting the issuer");
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca.cert.get(), cert.get(), nullptr, nullptr, 0);
    add_extension(*cert, ctx, NID_basic_constraints, "critical,CA:FALSE");
    // RSA key exchange (TLS 1.2 kRSA) needs keyEncipherment; EC/Ed25519 keys only sign.
    const bool rsa = spec.kind == KeySpec::Kind::rsa;
    add_extension(*cert, ctx, NID_key_usage,
                  rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
    add_extension(*cert, ctx, NID_ext_key_usage,
                  fields.role == CertRole::server ? "serverAuth" : "clientAuth");
    add_extension(*cert, ctx, NID_subject_key_identifier, "hash");
    add_extension(*cert, ctx, NID_authority_key_identifier, "keyid:always");
    if (!fields.sans.empty()) {
        std::string joined;
        for (const auto& san : fields.sans) {
            joined += (joined.empty() ? "" : ",") + san;
        }
        add_extension(*cert, ctx, NID_subject_alt_name, joined);
    }
    sign(*cert, *ca.key);
    return cert;
}

// The key type and size of an issued certificate, to renew it with the same kind of key.
KeySpec key_spec_of(const CertSummary& summary) {
    if (summary.key_type == "RSA") {
        const int bits = summary.key_bits >= 4096 ? 4096 : summary.key_bits >= 3072 ? 3072 : 2048;
        return KeySpec::parse("rsa:" + std::to_string(bits));
    }
    if (summary.key_type == "ED25519") {
        return KeySpec::parse("ed25519");
    }
    return KeySpec::parse(summary.key_bits == 384 ? "ec:p384" : "ec");
}

CertRole role_of(const CertSummary& summary, const fs::path& file) {
    for (const auto& eku : summary.ext_key_usage) {
        if (eku == "serverAuth") return CertRole::server;
        if (eku == "clientAuth") return CertRole::client;
    }
    throw UsageError(file.string() +
                     ": has neither EKU serverAuth nor clientAuth; not a certificate `ca issue` "
                     "made, so it cannot be renewed as one");
}

void rename_or_throw(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) {
        throw SystemError("renaming " + from.string() + " to " + to.string() + ": " + ec.message());
    }
}

}  // namespace

IssuedFiles issue_certificate(const IssueOptions& options) {
    check_plain_name(options.name);
    const IssuedFiles files{options.dir / (options.name + ".pem"),
                            options.dir / (options.name + ".key")};
    std::error_code ec;
    if (fs::exists(files.cert, ec) || fs::exists(files.key, ec)) {
        throw UsageError(files.cert.string() + " or " + files.key.string() +
                         " already exists; refusing to overwrite (choose another --name, or "
                         "re-issue it with `tcplab ca renew`)");
    }
    const LoadedCa ca = load_ca(options.dir);

    const auto now = std::chrono::system_clock::now();
    if (options.days <= 0 && !options.not_after) {
        throw UsageError("--days " + std::to_string(options.days) +
                         ": must be positive (use --not-after for an expired certificate)");
    }
    const SysTime not_before = options.not_before.value_or(now - std::chrono::minutes(5));
    const SysTime not_after =
        options.not_after.value_or(std::max(now, not_before) + std::chrono::days(options.days));
    if (not_after <= not_before) {
        throw UsageError("--not-after must be later than --not-before");
    }

    std::vector<std::string> sans = options.sans;
    if (sans.empty() && options.role == CertRole::server) {
        sans = {"DNS:localhost", "IP:127.0.0.1", "IP:::1"};
    }

    PkeyPtr key = generate_key(options.key);
    X509NamePtr name = make_name(options.name);
    X509Ptr cert =
        sign_leaf({*name, options.role, sans}, *key, options.key, not_before, not_after, ca);
    write_private_key(files.key, *key);
    write_certificate(files.cert, *cert);
    return files;
}

IssuedFiles renew_certificate(const RenewOptions& options) {
    check_plain_name(options.name);
    const IssuedFiles files{options.dir / (options.name + ".pem"),
                            options.dir / (options.name + ".key")};
    if (options.days <= 0) {
        throw UsageError("--days " + std::to_string(options.days) + ": must be positive");
    }
    X509Ptr old = load_certificate(files.cert);
    const CertSummary summary = summarize(*old);
    const CertRole role = role_of(summary, files.cert);
    const KeySpec spec = options.key.value_or(key_spec_of(summary));
    const LoadedCa ca = load_ca(options.dir);

    const auto now = std::chrono::system_clock::now();
    PkeyPtr key = generate_key(spec);
    X509Ptr cert =
        sign_leaf({*X509_get_subject_name(old.get()), role, summary.sans}, *key, spec,
                  now - std::chrono::minutes(5), now + std::chrono::days(options.days), ca);

    // Written beside the old pair first (refusing to overwrite, as every write here does), then
    // moved in place: the old pair stays as NAME.pem.old / NAME.key.old until the next renewal.
    const IssuedFiles fresh{files.cert.string() + ".new", files.key.string() + ".new"};
    std::error_code ec;
    fs::remove(fresh.cert, ec);  // a renewal that died half-way
    fs::remove(fresh.key, ec);
    write_private_key(fresh.key, *key);
    write_certificate(fresh.cert, *cert);
    if (fs::exists(files.key, ec)) {
        rename_or_throw(files.key, files.key.string() + ".old");
    }
    rename_or_throw(files.cert, files.cert.string() + ".old");
    rename_or_throw(fresh.key, files.key);
    rename_or_throw(fresh.cert, files.cert);
    return files;
}

}  // namespace tcplab::tls
