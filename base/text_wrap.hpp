#pragma once
// Text for an 80- or 100-column terminal: help screens put hand-broken paragraphs, Boost's option
// table and long example lines together, and each part must wrap the same way.
#include <cstddef>
#include <string>
#include <string_view>

namespace tcplab {

// `text` with every line at most `width` columns: each '\n' stays a line break; a longer line
// breaks at its last blank that fits, and the rest is indented like the line plus `hanging`
// columns; a word longer than the room stays whole on its own line. Trailing blanks are removed
// from every line (Boost's option table leaves one where it wraps).
std::string wrap_text(std::string_view text, std::size_t width, std::size_t hanging = 0);

}  // namespace tcplab
