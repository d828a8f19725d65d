#include "scenario/detail/check_text.hpp"

namespace tcplab::scenario::detail {

std::string first_items(const std::vector<std::string>& items, std::size_t max) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < max; ++i) {
        out += (i == 0 ? "" : "; ") + items[i];
    }
    if (items.size() > max) {
        out += "; ... (" + std::to_string(items.size()) + " in all)";
    }
    return out;
}

}  // namespace tcplab::scenario::detail
