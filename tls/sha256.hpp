#pragma once
// Incremental SHA-256 (EVP) for verifying bulk transfers end to end.
#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>

namespace tcplab::tls {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    std::string hex_digest();  // lowercase hex, as sha256sum prints; ends the computation

private:
    struct Free {
        void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

}  // namespace tcplab::tls
