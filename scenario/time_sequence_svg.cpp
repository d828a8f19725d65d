#include "scenario/detail/time_sequence_svg.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "scenario/junit.hpp"

namespace tcplab::scenario {

namespace {

constexpr double kWidth = 900;
constexpr double kHeight = 560;
constexpr double kLeft = 80;
constexpr double kRight = 20;
constexpr double kTop = 40;
constexpr double kBottom = 50;

std::string one_decimal(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

std::string time_sequence_svg(const std::string& title, const std::vector<SeqPoint>& points) {
    double t_max = 0.001;
    std::uint64_t seq_max = 1;
    for (const auto& p : points) {
        t_max = std::max(t_max, p.t);
        seq_max = std::max<std::uint64_t>(seq_max, p.seq + p.len);
    }
    const double plot_w = kWidth - kLeft - kRight;
    const double plot_h = kHeight - kTop - kBottom;
    auto x = [&](double t) { return kLeft + plot_w * t / t_max; };
    auto y = [&](double seq) { return kTop + plot_h * (1.0 - seq / static_cast<double>(seq_max)); };

    std::ostringstream svg;
    svg << R"(<svg xmlns="http://www.w3.org/2000/svg" width=")" << kWidth << R"(" height=")"
        << kHeight << R"(" font-family="sans-serif" font-size="12">)"
        << "\n"
        << R"(<rect width="100%" height="100%" fill="white"/>)"
        << "\n"
        << R"(<text x=")" << kLeft << R"(" y="24" font-size="15">)" << xml_escape(title)
        << "</text>\n"
        << R"(<rect x=")" << kLeft << R"(" y=")" << kTop << R"(" width=")" << plot_w
        << R"(" height=")" << plot_h << R"(" fill="none" stroke="#888"/>)"
        << "\n";
    for (int i = 0; i <= 5; ++i) {
        const double t = t_max * i / 5;
        const double s = static_cast<double>(seq_max) * i / 5;
        svg << R"(<text x=")" << one_decimal(x(t)) << R"(" y=")"
            << one_decimal(kHeight - kBottom + 18) << R"(" text-anchor="middle">)"
            << one_decimal(t * 1000) << " ms</text>\n"
            << R"(<text x=")" << one_decimal(kLeft - 6) << R"(" y=")" << one_decimal(y(s) + 4)
            << R"(" text-anchor="end">)" << static_cast<std::uint64_t>(s) << "</text>\n";
    }
    svg << R"(<text x=")" << one_decimal(kLeft + plot_w / 2) << R"(" y=")"
        << one_decimal(kHeight - 8) << R"(" text-anchor="middle">time</text>)"
        << "\n"
        << R"(<text x="14" y=")" << one_decimal(kTop + plot_h / 2)
        << R"(" transform="rotate(-90 14 )" << one_decimal(kTop + plot_h / 2)
        << R"x()" text-anchor="middle">relative sequence number</text>)x"
        << "\n";

    // The ACK line first so segments are drawn over it.
    std::string ack_path;
    for (const auto& p : points) {
        if (p.kind == SeqPoint::Kind::ack) {
            ack_path += (ack_path.empty() ? "M" : " L") + one_decimal(x(p.t)) + " " +
                        one_decimal(y(static_cast<double>(p.seq)));
        }
    }
    if (!ack_path.empty()) {
        svg << R"(<path d=")" << ack_path << R"(" fill="none" stroke="#2a7" stroke-width="1"/>)"
            << "\n";
    }
    for (const auto& p : points) {
        const double px = x(p.t);
        switch (p.kind) {
            case SeqPoint::Kind::data:
            case SeqPoint::Kind::retransmission: {
                const char* color = p.kind == SeqPoint::Kind::data ? "#24c" : "#d22";
                const double width = p.kind == SeqPoint::Kind::data ? 1 : 2.5;
                svg << R"(<line x1=")" << one_decimal(px) << R"(" x2=")" << one_decimal(px)
                    << R"(" y1=")" << one_decimal(y(static_cast<double>(p.seq))) << R"(" y2=")"
                    << one_decimal(std::min(y(static_cast<double>(p.seq + p.len)),
                                            y(static_cast<double>(p.seq)) - 2))
                    << R"(" stroke=")" << color << R"(" stroke-width=")" << width << R"("/>)"
                    << "\n";
                break;
            }
            case SeqPoint::Kind::drop: {
                const double py = y(static_cast<double>(p.seq));
                svg << R"(<path d="M)" << one_decimal(px - 4) << " " << one_decimal(py - 4) << " L"
                    << one_decimal(px + 4) << " " << one_decimal(py + 4) << " M"
                    << one_decimal(px - 4) << " " << one_decimal(py + 4) << " L"
                    << one_decimal(px + 4) << " " << one_decimal(py - 4)
                    << R"(" stroke="#000" stroke-width="1.5"/>)"
                    << "\n";
                break;
            }
            case SeqPoint::Kind::ack:
                break;
        }
    }
    const double ly = kTop + 14;
    svg << R"(<g font-size="11"><line x1=")" << one_decimal(kLeft + 10) << R"(" x2=")"
        << one_decimal(kLeft + 10) << R"(" y1=")" << one_decimal(ly - 9) << R"(" y2=")"
        << one_decimal(ly + 2) << R"(" stroke="#24c"/><text x=")" << one_decimal(kLeft + 16)
        << R"(" y=")" << one_decimal(ly) << R"(">segment</text><line x1=")"
        << one_decimal(kLeft + 90) << R"(" x2=")" << one_decimal(kLeft + 90) << R"(" y1=")"
        << one_decimal(ly - 9) << R"(" y2=")" << one_decimal(ly + 2)
        << R"(" stroke="#d22" stroke-width="2.5"/><text x=")" << one_decimal(kLeft + 96)
        << R"(" y=")" << one_decimal(ly) << R"(">retransmission</text><text x=")"
        << one_decimal(kLeft + 200) << R"(" y=")" << one_decimal(ly)
        << R"(">X dropped by the path</text><line x1=")" << one_decimal(kLeft + 340) << R"(" x2=")"
        << one_decimal(kLeft + 360) << R"(" y1=")" << one_decimal(ly - 4) << R"(" y2=")"
        << one_decimal(ly - 4) << R"(" stroke="#2a7"/><text x=")" << one_decimal(kLeft + 366)
        << R"(" y=")" << one_decimal(ly) << R"(">peer's ACK</text></g>)"
        << "\n";
    svg << "</svg>\n";
    return svg.str();
}

}  // namespace tcplab::scenario
