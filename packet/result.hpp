#pragma once
// Result<T>: the outcome of parsing untrusted bytes — a value, or a ParseError naming what was
// wrong and at which byte offset. No exceptions on the per-packet path.
#include <cassert>
#include <cstddef>
#include <string_view>
#include <utility>
#include <variant>

namespace tcplab::packet {

// Stable snake_case names (to_string) so analyzers can count them as observations.
enum class ErrorCode {
    truncated,          // fewer bytes than the header (or a length field) needs
    bad_version,        // IP version nibble does not match the layer
    bad_header_length,  // IPv4 IHL < 5, TCP data offset < 5, or a header length past the end
    bad_option_length,  // option length 0/1 or running past the options area
    bad_total_length,   // IP total/payload length smaller than the header
    unsupported,        // a link type / ethertype / next header we do not decode
};

std::string_view to_string(ErrorCode code);

struct ParseError {
    ErrorCode code;
    std::size_t offset;  // byte offset of the offending field, from the start of the parsed span
    const char* what;    // static text, e.g. "TCP data offset below 5"
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Result(ParseError error) : v_(error) {}    // NOLINT(google-explicit-constructor)
    // A default T built where the result lies: for a large T filled in place, Result{T{}} builds
    // a temporary and copies it, on every packet.
    explicit Result(std::in_place_t) : v_(std::in_place_index<0>) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T& value() const {
        assert(ok());
        return std::get<0>(v_);
    }
    T& value() {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& operator*() const { return value(); }
    const T* operator->() const { return &value(); }
    const ParseError& error() const {
        assert(!ok());
        return std::get<1>(v_);
    }

private:
    std::variant<T, ParseError> v_;
};

}  // namespace tcplab::packet
