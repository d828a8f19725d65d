#pragma once
// Text shared by the checks' observations.
#include <cstddef>
#include <string>
#include <vector>

namespace tcplab::scenario::detail {

// The first `max` items joined by "; ", then "; ... (N in all)" when there are more.
std::string first_items(const std::vector<std::string>& items, std::size_t max = 5);

}  // namespace tcplab::scenario::detail
