#include "tls/detail/ossl.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "base/errors.hpp"

namespace tcplab::tls {

std::string drain_errors() {
    std::string out;
    const char* file = nullptr;
    int line = 0;
    const char* func = nullptr;
    const char* data = nullptr;
    int flags = 0;
    // ERR_get_error_all pops the oldest entry; loop until the queue is empty so no stale error
    // is blamed on a later call.
    while (unsigned long code = ERR_get_error_all(&file, &line, &func, &data, &flags)) {
        const char* reason = ERR_reason_error_string(code);
        std::string one = reason != nullptr ? reason : "error " + std::to_string(code);
        if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
            one += " (";
            one += data;
            one += ")";
        }
        if (out.find(one) == std::string::npos) {  // the same reason repeated adds nothing
            out += out.empty() ? "" : "; ";
            out += one;
        }
    }
    return out;
}

std::string with_errors(std::string_view what) {
    std::string details = drain_errors();
    std::string out(what);
    if (!details.empty()) {
        out += ": " + details;
    }
    return out;
}

void throw_openssl(std::string_view what) { throw SystemError(with_errors(what)); }

void OsslStringDeleter::operator()(char* p) const noexcept { OPENSSL_free(p); }

}  // namespace tcplab::tls
