#include "tests/support/svg_check.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "tests/support/shell.hpp"

namespace tcplab::test_support {

namespace {

constexpr double kSlack = 0.5;  // pixels of rounding allowed at the canvas edge

struct Box {
    double x0, y0, x1, y1;
};

struct Label {
    std::string axis;
    std::string text;
    Box box;
};

struct Scope {
    std::string name;
    double dx = 0, dy = 0;
    double font_size = 12;
};

using Attrs = std::map<std::string, std::string>;

// name="value" pairs, scanned by hand: libstdc++'s std::regex recurses once per character, and a
// long path's d="..." overflowed the stack of the sanitizer build.
Attrs attributes_of(const std::string& tag) {
    const auto name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':' || c == '-';
    };
    Attrs a;
    for (std::size_t eq = tag.find("=\""); eq != std::string::npos; eq = tag.find("=\"", eq)) {
        std::size_t start = eq;
        while (start > 0 && name_char(tag[start - 1])) --start;
        const std::size_t close = tag.find('"', eq + 2);
        if (close == std::string::npos) break;
        if (start < eq) a[tag.substr(start, eq - start)] = tag.substr(eq + 2, close - eq - 2);
        eq = close + 1;
    }
    return a;
}

std::optional<double> number(const Attrs& a, const std::string& key) {
    const auto it = a.find(key);
    if (it == a.end() || it->second.empty() || it->second.back() == '%') return std::nullopt;
    try {
        return std::stod(it->second);
    } catch (...) {
        return std::nullopt;
    }
}

// Characters as a reader sees them: UTF-8 sequences and entities count once.
std::size_t visible_length(const std::string& s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '&') {
            const auto semi = s.find(';', i);
            if (semi != std::string::npos) i = semi;
        } else if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) {
            continue;
        }
        ++n;
    }
    return n;
}

// The box a text covers: 0.6 em per character (wider than sans-serif digits on average), one em
// above the baseline and a quarter below; a rotate(-90 ...) about its anchor turns it upright.
Box text_box(const Attrs& a, const std::string& content, double x, double y, double fs) {
    const double w = static_cast<double>(visible_length(content)) * fs * 0.6;
    const std::string anchor = a.count("text-anchor") != 0 ? a.at("text-anchor") : "start";
    double lo = anchor == "middle" ? -w / 2 : anchor == "end" ? -w : 0;
    if (a.count("transform") != 0 && a.at("transform").find("rotate(-90") != std::string::npos) {
        // Along the baseline is now upwards: lo..lo+w maps to y - lo - w .. y - lo.
        return {x - fs, y - lo - w, x + fs * 0.25, y - lo};
    }
    return {x + lo, y - fs, x + lo + w, y + fs * 0.25};
}

std::vector<double> path_points(const std::string& d, std::vector<std::string>& problems) {
    std::vector<double> nums;
    std::istringstream in(d);
    char c;
    while (in >> c) {
        if (c == 'M' || c == 'L' || c == ',') continue;
        if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
            problems.push_back(std::string("path command '") + c + "' is not checked");
            return {};
        }
        in.putback(c);
        double v;
        if (!(in >> v)) {
            problems.push_back("path data does not parse: " + d);
            return {};
        }
        nums.push_back(v);
    }
    return nums;
}

// Round: evenly spaced by 1, 2 or 5 x 10^k, each a multiple of the step.
void check_ticks(const std::string& axis, std::vector<double> values,
                 std::vector<std::string>& problems) {
    std::sort(values.begin(), values.end());
    if (values.size() < 2) return;
    const double step = values[1] - values[0];
    const double mag = std::pow(10.0, std::floor(std::log10(step)));
    const double m = step / mag;
    const bool one_two_five = std::abs(m - 1) < 1e-6 || std::abs(m - 2) < 1e-6 ||
                              std::abs(m - 5) < 1e-6 || std::abs(m - 10) < 1e-6;
    if (!one_two_five) {
        problems.push_back("axis " + axis + ": tick step " + std::to_string(step) +
                           " is not 1, 2 or 5 x 10^k");
        return;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double k = values[i] / step;
        // Labels are decimal text: allow for the binary rounding of large multiples.
        if (std::abs(k - std::round(k)) > 1e-6 + 1e-9 * std::abs(k)) {
            problems.push_back("axis " + axis + ": tick " + std::to_string(values[i]) +
                               " is not a multiple of its step " + std::to_string(step));
        }
        if (i > 0 && std::abs(values[i] - values[i - 1] - step) > step * 1e-6) {
            problems.push_back("axis " + axis + ": ticks not evenly spaced at " +
                               std::to_string(values[i]));
        }
    }
}

void check_overlaps(const std::string& what, std::vector<Label> labels, bool horizontal,
                    std::vector<std::string>& problems) {
    std::sort(labels.begin(), labels.end(), [&](const Label& a, const Label& b) {
        return horizontal ? a.box.x0 < b.box.x0 : a.box.y0 < b.box.y0;
    });
    for (std::size_t i = 1; i < labels.size(); ++i) {
        const Box& a = labels[i - 1].box;
        const Box& b = labels[i].box;
        if (horizontal ? b.x0 < a.x1 : b.y0 < a.y1) {
            problems.push_back(what + " labels '" + labels[i - 1].text + "' and '" +
                               labels[i].text + "' overlap");
        }
    }
}

}  // namespace

std::vector<std::string> svg_problems(const std::string& svg) {
    std::vector<std::string> problems;
    double width = 0, height = 0;
    std::vector<Scope> stack;
    std::vector<Label> ticks;
    const auto inside = [&](double x, double y, const std::string& what) {
        if (x < -kSlack || y < -kSlack || x > width + kSlack || y > height + kSlack) {
            std::ostringstream m;
            m << what << " at (" << x << ", " << y << ") is outside the " << width << "x" << height
              << " canvas";
            problems.push_back(m.str());
        }
    };
    std::size_t pos = 0;
    while ((pos = svg.find('<', pos)) != std::string::npos) {
        const auto end = svg.find('>', pos);
        if (end == std::string::npos) {
            problems.push_back("unterminated tag at byte " + std::to_string(pos));
            break;
        }
        const std::string tag = svg.substr(pos, end - pos + 1);
        const std::size_t content_start = end + 1;
        pos = end + 1;
        if (tag.rfind("<?", 0) == 0 || tag.rfind("<!", 0) == 0) continue;
        if (tag.rfind("</", 0) == 0) {
            const std::string name = tag.substr(2, tag.size() - 3);
            if (stack.empty() || stack.back().name != name) {
                problems.push_back("closing </" + name + "> does not match " +
                                   (stack.empty() ? "nothing" : "<" + stack.back().name + ">"));
                return problems;
            }
            stack.pop_back();
            continue;
        }
        const auto name_end = tag.find_first_of(" \t\n/>", 1);
        const std::string name = tag.substr(1, name_end - 1);
        const Attrs a = attributes_of(tag);
        Scope scope = stack.empty() ? Scope{} : stack.back();
        scope.name = name;
        if (auto fs = number(a, "font-size")) scope.font_size = *fs;
        static const std::regex kTranslate(R"(translate\(\s*([-\d.]+)[ ,]+([-\d.]+)\s*\))");
        std::smatch m;
        if (a.count("transform") != 0 && std::regex_search(a.at("transform"), m, kTranslate)) {
            scope.dx += std::stod(m[1]);
            scope.dy += std::stod(m[2]);
        }
        const auto X = [&](double x) { return x + scope.dx; };
        const auto Y = [&](double y) { return y + scope.dy; };
        if (name == "svg") {
            static const std::regex kViewBox(R"(^\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*$)");
            if (a.count("viewBox") == 0 || !std::regex_match(a.at("viewBox"), m, kViewBox)) {
                problems.push_back("the svg element has no viewBox \"0 0 W H\"");
                return problems;
            }
            width = std::stod(m[1]);
            height = std::stod(m[2]);
        } else if (name == "line") {
            inside(X(number(a, "x1").value_or(0)), Y(number(a, "y1").value_or(0)), "line start");
            inside(X(number(a, "x2").value_or(0)), Y(number(a, "y2").value_or(0)), "line end");
        } else if (name == "rect") {
            if (auto x = number(a, "x"), y = number(a, "y"); x && y) {
                inside(X(*x), Y(*y), "rect corner");
                inside(X(*x + number(a, "width").value_or(0)),
                       Y(*y + number(a, "height").value_or(0)), "rect corner");
            }
        } else if (name == "circle") {
            const double r = number(a, "r").value_or(0);
            const double cx = X(number(a, "cx").value_or(0));
            const double cy = Y(number(a, "cy").value_or(0));
            inside(cx - r, cy - r, "circle");
            inside(cx + r, cy + r, "circle");
        } else if (name == "path") {
            const auto nums = path_points(a.count("d") != 0 ? a.at("d") : "", problems);
            for (std::size_t i = 0; i + 1 < nums.size(); i += 2) {
                inside(X(nums[i]), Y(nums[i + 1]), "path point");
            }
        } else if (name == "text") {
            const auto close = svg.find("</text>", content_start);
            const std::string content =
                close == std::string::npos ? "" : svg.substr(content_start, close - content_start);
            const Box b = text_box(a, content, X(number(a, "x").value_or(0)),
                                   Y(number(a, "y").value_or(0)), scope.font_size);
            inside(b.x0, b.y0, "text '" + content + "'");
            inside(b.x1, b.y1, "text '" + content + "'");
            if (a.count("class") != 0 && a.at("class") == "tick") {
                ticks.push_back({a.count("data-axis") != 0 ? a.at("data-axis") : "?", content, b});
            }
        } else if (name != "g") {
            problems.push_back("element <" + name + "> is not checked");
        }
        if (tag[tag.size() - 2] != '/') stack.push_back(scope);
    }
    if (!stack.empty()) problems.push_back("<" + stack.back().name + "> is never closed");
    if (width <= 0) problems.push_back("no svg element");

    std::map<std::string, std::vector<double>> values;
    std::vector<Label> x_labels, y_labels;
    for (const Label& l : ticks) {
        try {
            std::size_t used = 0;
            values[l.axis].push_back(std::stod(l.text, &used));
            if (used != l.text.size()) throw std::invalid_argument(l.text);
        } catch (...) {
            problems.push_back("tick label '" + l.text + "' is not a number");
        }
        (l.axis.rfind("x", 0) == 0 ? x_labels : y_labels).push_back(l);
    }
    for (const auto& [axis, v] : values) check_ticks(axis, v, problems);
    check_overlaps("x tick", x_labels, true, problems);
    check_overlaps("y tick", y_labels, false, problems);
    return problems;
}

int render_svg(const std::filesystem::path& svg, const std::filesystem::path& png) {
    if (!have_tool("rsvg-convert")) return -1;
    return shell("rsvg-convert -o '" + png.string() + "' '" + svg.string() + "' 2>/dev/null")
        .exit_code;
}

}  // namespace tcplab::test_support
