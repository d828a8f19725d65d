#pragma once
// RAII for OpenSSL objects (unique_ptr with the matching free function) and the one place that
// turns OpenSSL's error queue into text. Every OpenSSL object in tls/ is held by one of these.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace tcplab::tls {

template <auto FreeFn>
struct OsslDeleter {
    template <typename T>
    void operator()(T* p) const noexcept {
        FreeFn(p);
    }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OsslDeleter<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OsslDeleter<ASN1_TIME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OsslDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OsslDeleter<SSL_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;

// Empties this thread's OpenSSL error queue into "reason; reason" (empty if nothing queued).
std::string drain_errors();

// "what: <drained OpenSSL errors>" (or just "what" when the queue was empty).
std::string with_errors(std::string_view what);

// Throws SystemError(with_errors(what)): an OpenSSL call failed while doing the work.
[[noreturn]] void throw_openssl(std::string_view what);

// Holds a pointer returned by OpenSSL or throws with the drained errors when it is null.
template <typename Ptr>
Ptr checked(Ptr p, std::string_view what) {
    if (!p) {
        throw_openssl(what);
    }
    return p;
}

// A string OpenSSL allocated (OPENSSL_free on release).
struct OsslStringDeleter {
    void operator()(char* p) const noexcept;
};
using OsslStringPtr = std::unique_ptr<char, OsslStringDeleter>;

}  // namespace tcplab::tls
