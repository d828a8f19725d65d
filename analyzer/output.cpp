#include "analyzer/detail/output.hpp"

namespace tcplab::analyzer {

void append_seconds6(std::string& out, std::int64_t nanos) {
    if (nanos < 0) {
        out.push_back('-');
        nanos = -nanos;
    }
    std::int64_t micros = nanos / 1000 + ((nanos % 1000) >= 500 ? 1 : 0);
    const std::int64_t secs = micros / 1'000'000;
    micros %= 1'000'000;
    char tmp[32];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, secs);
    out.append(tmp, r.ptr);
    out.push_back('.');
    char frac[6];
    for (int i = 5; i >= 0; --i) {
        frac[i] = static_cast<char>('0' + micros % 10);
        micros /= 10;
    }
    out.append(frac, 6);
}

std::string seconds6(std::int64_t nanos) {
    std::string s;
    append_seconds6(s, nanos);
    return s;
}

}  // namespace tcplab::analyzer
