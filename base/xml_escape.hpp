#pragma once
// Text safe inside an XML attribute or element (&, <, >, quotes, and control characters): for
// report.xml (JUnit), the SVG plots and the experiment report.
#include <string>

namespace tcplab {

std::string xml_escape(const std::string& text);

}  // namespace tcplab
