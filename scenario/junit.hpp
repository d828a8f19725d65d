#pragma once
// report.xml: a run's checks in JUnit's XML, the format GitHub, GitLab and Jenkins display — one
// testsuite per run, one testcase per check, a failing check's text = expected vs observed.
#include <string>

#include "scenario/report.hpp"

namespace tcplab::scenario {

std::string junit_xml(const RunReport& report);

// Text safe inside an XML attribute or element (// Text safe inside an XML attribute or element (&,
// <, >, quotes, and control characters)., <, >, quotes, and control characters): for report.xml,
// the time-sequence SVG and the experiment report.
std::string xml_escape(const std::string& text);

}  // namespace tcplab::scenario
