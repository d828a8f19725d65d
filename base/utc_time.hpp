#pragma once
// The current time in UTC as text: run records ("2024-05-01T12:00:00Z") and run directory names
// ("20240501-120000") both come from here.
#include <string>

namespace tcplab {

// Now, in UTC, formatted with strftime(3) (`format` must fit in 63 characters once expanded).
std::string utc_now(const char* format);

}  // namespace tcplab
