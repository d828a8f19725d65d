#include "tls/detail/key_file.hpp"

#include <fcntl.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/errors.hpp"

namespace tcplab::tls {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// Everything an in-memory BIO holds, as a string.
std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// Creates `path` exclusively with `mode` and writes `text`; the mode applies from creation on,
// so there is no window in which a key is readable by others.
void write_new_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        const int err = errno;
        if (err == EEXIST) {
            throw UsageError(
                path.string() +
                " already exists (refusing to overwrite; delete it or choose another name)");
        }
        throw UsageError("cannot create " + path.string() + ": " + std::strerror(err));
    }
    // umask can only remove bits; fchmod makes the mode exact (e.g. 0644 under umask 077).
    bool ok = ::fchmod(fd, mode) == 0;
    std::size_t done = 0;
    while (ok && done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += ok ? static_cast<std::size_t>(n) : 0;
    }
    const int err = errno;
    ok = (::close(fd) == 0) && ok;
    if (!ok) {
        ::unlink(path.c_str());
        throw SystemError("cannot write " + path.string() + ": " + std::strerror(err));
    }
}

BioPtr open_for_reading(const std::filesystem::path& path, std::string_view what) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw UsageError(std::string(what) + " " + path.string() + ": file not found");
    }
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) {
        drain_errors();
        throw UsageError(std::string(what) + " " + path.string() +
                         ": cannot open: " + std::strerror(errno));
    }
    return bio;
}

}  // namespace

KeySpec KeySpec::parse(std::string_view text, std::string_view flag) {
    const std::string t = lower(text);
    KeySpec spec;
    if (t == "ec" || t == "ec:p256" || t == "ec:p-256" || t == "ec:prime256v1") {
        return spec;
    }
    if (t == "ec:p384" || t == "ec:p-384" || t == "ec:secp384r1") {
        spec.bits = 384;
        spec.curve = "P-384";
        return spec;
    }
    if (t == "ed25519") {
        spec.kind = Kind::ed25519;
        spec.bits = 256;
        spec.curve.clear();
        return spec;
    }
    if (t == "rsa" || t == "rsa:2048" || t == "rsa:3072" || t == "rsa:4096") {
        spec.kind = Kind::rsa;
        spec.bits = t == "rsa" ? 2048 : std::stoi(t.substr(4));
        spec.curve.clear();
        return spec;
    }
    throw UsageError(std::string(flag) + " '" + std::string(text) +
                     "': expected ec, ec:p256, ec:p384, rsa:2048, rsa:3072, rsa:4096 or ed25519");
}

std::string KeySpec::to_string() const {
    switch (kind) {
        case Kind::ec:
            return bits == 384 ? "ec:p384" : "ec:p256";
        case Kind::rsa:
            return "rsa:" + std::to_string(bits);
        case Kind::ed25519:
            return "ed25519";
    }
    return "?";
}

PkeyPtr generate_key(const KeySpec& spec) {
    EVP_PKEY* raw = nullptr;
    switch (spec.kind) {
        case KeySpec::Kind::ec:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", spec.curve.c_str());
            break;
        case KeySpec::Kind::rsa:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.bits));
            break;
        case KeySpec::Kind::ed25519:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
            break;
    }
    return checked(PkeyPtr(raw), "generating a " + spec.to_string() + " key");
}

void write_private_key(const std::filesystem::path& path, const EVP_PKEY& key) {
    BioPtr mem = checked(BioPtr(BIO_new(BIO_s_mem())), "allocating a buffer");
    if (PEM_write_bio_PrivateKey(mem.get(), &key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        throw_openssl("encoding the private key for " + path.string());
    }
    std::string pem = bio_contents(mem.get());
    write_new_file(path, pem, 0600);
    OPENSSL_cleanse(pem.data(), pem.size());
}

void write_certificate(const std::filesystem::path& path, X509& cert) {
    BioPtr mem = checked(BioPtr(BIO_new(BIO_s_mem())), "allocating a buffer");
    if (PEM_write_bio_X509(mem.get(), &cert) != 1) {
        throw_openssl("encoding the certificate for " + path.string());
    }
    write_new_file(path, bio_contents(mem.get()), 0644);
}

PkeyPtr load_private_key(const std::filesystem::path& path) {
    BioPtr bio = open_for_reading(path, "key");
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        throw UsageError(with_errors("key " + path.string() + ": not a PEM private key"));
    }
    return key;
}

X509Ptr load_certificate(const std::filesystem::path& path) {
    BioPtr bio = open_for_reading(path, "certificate");
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        throw UsageError(with_errors("certificate " + path.string() + ": not a PEM certificate"));
    }
    return cert;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw UsageError("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace tcplab::tls
