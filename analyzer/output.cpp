#include "analyzer/detail/output.hpp"

namespace tcplab::analyzer {

char* format_seconds6(char* out, std::int64_t nanos) {
    if (nanos < 0) {
        *out++ = '-';
        nanos = -nanos;
    }
    std::int64_t micros = nanos / 1000 + ((nanos % 1000) >= 500 ? 1 : 0);
    const std::int64_t secs = micros / 1'000'000;
    micros %= 1'000'000;
    out = std::to_chars(out, out + 20, secs).ptr;
    *out++ = '.';
    for (int i = 5; i >= 0; --i) {
        out[i] = static_cast<char>('0' + micros % 10);
        micros /= 10;
    }
    return out + 6;
}

void append_seconds6(std::string& out, std::int64_t nanos) {
    char tmp[kSeconds6Max];
    out.append(tmp, format_seconds6(tmp, nanos));
}

std::string seconds6(std::int64_t nanos) {
    std::string s;
    append_seconds6(s, nanos);
    return s;
}

}  // namespace tcplab::analyzer
