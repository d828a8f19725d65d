#include "packet/result.hpp"

namespace tcplab::packet {

std::string_view to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::truncated:
            return "truncated";
        case ErrorCode::bad_version:
            return "bad_version";
        case ErrorCode::bad_header_length:
            return "bad_header_length";
        case ErrorCode::bad_option_length:
            return "bad_option_length";
        case ErrorCode::bad_total_length:
            return "bad_total_length";
        case ErrorCode::unsupported:
            return "unsupported";
    }
    return "unknown_error";  // unreachable for valid enumerators; keeps -Wreturn-type quiet
}

}  // namespace tcplab::packet
