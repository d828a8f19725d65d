#pragma once
// Key generation and the PEM files of the CA toolkit. Private keys are written with mode 0600
// from the moment the file exists (open(O_CREAT|O_EXCL, 0600)), never world-readable.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tls/detail/ossl.hpp"

namespace tcplab::tls {

// What kind of key to generate: "ec" (= ec:p256), "ec:p384", "rsa" (= rsa:2048), "rsa:3072",
// "rsa:4096", "ed25519".
struct KeySpec {
    enum class Kind { ec, rsa, ed25519 };
    Kind kind = Kind::ec;
    int bits = 256;  // RSA modulus bits, or the EC curve size
    std::string curve = "P-256";

    // Throws UsageError naming `flag` for anything else.
    static KeySpec parse(std::string_view text, std::string_view flag = "--key");
    std::string to_string() const;  // "ec:p256", "rsa:3072", "ed25519"
};

PkeyPtr generate_key(const KeySpec& spec);

// Writes the private key (PKCS#8 PEM) to a NEW file with mode 0600; refuses to overwrite an
// existing key (UsageError) so a typo never destroys a CA key.
void write_private_key(const std::filesystem::path& path, const EVP_PKEY& key);

// Writes a certificate (PEM) to a new file with mode 0644; refuses to overwrite.
void write_certificate(const std::filesystem::path& path, X509& cert);

// Loaders: UsageError naming the file when it is missing, unreadable or not PEM of that kind.
PkeyPtr load_private_key(const std::filesystem::path& path);
X509Ptr load_certificate(const std::filesystem::path& path);

// Reads a whole file (UsageError "cannot read FILE: reason" on failure).
std::string read_file(const std::filesystem::path& path);

}  // namespace tcplab::tls
