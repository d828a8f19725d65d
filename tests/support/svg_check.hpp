#pragma once
// Looks at an SVG plot the way a reader would, without a browser: every mark and every label
// (its estimated extent, rotation included) inside the viewBox, every tag closed, and the tick
// labels of each axis (<text class="tick" data-axis="...">) round: evenly spaced by a 1, 2 or 5
// x 10^k step, each a multiple of it, and not overlapping their neighbours. Rendering is
// checked separately by rsvg-convert (render_svg()).
#include <filesystem>
#include <string>
#include <vector>

namespace tcplab::test_support {

// One line per problem found; empty when the plot passes.
std::vector<std::string> svg_problems(const std::string& svg);

// rsvg-convert's exit status for svg -> png (0: it rendered); -1 when rsvg-convert is missing.
int render_svg(const std::filesystem::path& svg, const std::filesystem::path& png);

}  // namespace tcplab::test_support
