#include "scenario/junit.hpp"

#include <cstdio>
#include <sstream>

#include "base/xml_escape.hpp"

namespace tcplab::scenario {

std::string junit_xml(const RunReport& r) {
    std::size_t failures = 0;
    for (const auto& c : r.checks) {
        failures += c.pass ? 0 : 1;
    }
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", r.seconds);
    const std::string suite = xml_escape(r.scenario);
    std::ostringstream out;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<testsuites name=\"tcplab\" tests=\"" << r.checks.size() << "\" failures=\"" << failures
        << "\" time=\"" << seconds << "\">\n"
        << "  <testsuite name=\"" << suite << "\" tests=\"" << r.checks.size() << "\" failures=\""
        << failures << "\" errors=\"0\" skipped=\"0\" time=\"" << seconds << "\">\n"
        << "    <properties>\n"
        << "      <property name=\"backend\" value=\"" << xml_escape(r.backend) << "\"/>\n"
        << "      <property name=\"seed\" value=\"" << r.seed << "\"/>\n"
        << "      <property name=\"out_dir\" value=\"" << xml_escape(r.out_dir.string()) << "\"/>\n"
        << "    </properties>\n";
    for (const auto& c : r.checks) {
        out << "    <testcase classname=\"tcplab." << suite << "\" name=\"" << xml_escape(c.name)
            << "\" time=\"0\"";
        if (c.pass) {
            out << "/>\n";
            continue;
        }
        out << ">\n      <failure message=\""
            << xml_escape("expected: " + c.expected + "; observed: " + c.observed)
            << "\" type=\"check\">" << xml_escape("expected: " + c.expected) << "\n"
            << xml_escape("observed: " + c.observed) << "\n"
            << xml_escape("why: " + c.reason) << "</failure>\n    </testcase>\n";
    }
    out << "  </testsuite>\n</testsuites>\n";
    return out.str();
}

}  // namespace tcplab::scenario
