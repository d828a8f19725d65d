#pragma once
// report.xml: a run's checks in JUnit's XML, the format GitHub, GitLab and Jenkins display — one
// testsuite per run, one testcase per check, a failing check's text = expected vs observed.
#include <string>

#include "scenario/report.hpp"

namespace tcplab::scenario {

std::string junit_xml(const RunReport& report);

}  // namespace tcplab::scenario
