#include "base/text_wrap.hpp"

#include <algorithm>

namespace tcplab {

namespace {

// The last blank in line[lead, limit] outside [brackets] ("[--mode M]" in a usage line,
// "[0..100 (%)]" in an option's text stay together), else npos.
std::size_t last_blank_outside_brackets(std::string_view line, std::size_t lead,
                                        std::size_t limit) {
    std::size_t found = std::string_view::npos;
    int depth = 0;
    for (std::size_t i = 0; i <= limit && i < line.size(); ++i) {
        if (line[i] == '[') {
            ++depth;
        } else if (line[i] == ']' && depth > 0) {
            --depth;
        } else if (line[i] == ' ' && depth == 0 && i > lead) {
            found = i;
        }
    }
    return found;
}

std::string_view trim_right(std::string_view line) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    return line;
}

// One line of the input (no '\n') into out, broken to `width`.
void wrap_line(std::string_view line, std::size_t width, std::size_t hanging, std::string& out) {
    line = trim_right(line);
    const std::size_t indent =
        line.find_first_not_of(' ') == std::string_view::npos ? 0 : line.find_first_not_of(' ');
    const std::string continuation(indent + hanging, ' ');
    bool first = true;
    while (true) {
        if (!first) {
            out += continuation;
        }
        const std::size_t room = width > (first ? 0 : continuation.size())
                                     ? width - (first ? 0 : continuation.size())
                                     : 1;
        if (line.size() <= room) {
            out += line;
            return;
        }
        // The last blank that lets the line fit, not counting the indentation itself (breaking
        // there would leave an empty line); one outside brackets if there is one.
        const std::size_t lead = first ? indent : 0;
        std::size_t cut = last_blank_outside_brackets(line, lead, room);
        if (cut == std::string_view::npos) {
            cut = line.substr(0, room + 1).find_last_of(' ');
        }
        if (cut == std::string_view::npos || cut <= lead) {
            cut = line.find(' ', lead);  // a word longer than the room: keep it whole
            if (cut == std::string_view::npos) {
                out += line;
                return;
            }
        }
        out += trim_right(line.substr(0, cut));
        out += '\n';
        line = line.substr(cut);
        line.remove_prefix(std::min(line.size(), line.find_first_not_of(' ')));
        if (line.empty()) {
            out.pop_back();
            return;
        }
        first = false;
    }
}

}  // namespace

std::string wrap_text(std::string_view text, std::size_t width, std::size_t hanging) {
    std::string out;
    while (true) {
        const std::size_t end = text.find('\n');
        wrap_line(text.substr(0, end), width, hanging, out);
        if (end == std::string_view::npos) {
            return out;
        }
        out += '\n';
        text.remove_prefix(end + 1);
    }
}

}  // namespace tcplab
