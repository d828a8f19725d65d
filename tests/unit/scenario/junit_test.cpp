// report.xml: one testcase per check, a failing check's text = expected vs observed, and any
// text a check can hold (quotes, angle brackets, control bytes from a peer) kept well-formed.
#include "scenario/junit.hpp"

#include <gtest/gtest.h>

namespace tcplab::scenario {
namespace {

RunReport two_checks() {
    RunReport r;
    r.scenario = "loss10";
    r.backend = "tc";
    r.seed = 7;
    r.seconds = 4.25;
    r.checks.push_back({"handshakes_seen", "2", "2", true, "SYN, SYN-ACK, ACK"});
    r.checks.push_back({"drops_retransmitted", "each <lost> segment re-sent",
                        "never re-sent: c2s \"PSH\" & more\x01", false, "wire truth"});
    return r;
}

TEST(Junit, OneTestcasePerCheckAndTheFailureSaysExpectedAndObserved) {
    const std::string xml = junit_xml(two_checks());
    EXPECT_NE(xml.find("<testsuite name=\"loss10\" tests=\"2\" failures=\"1\""), std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<testcase classname=\"tcplab.loss10\" name=\"handshakes_seen\" "
                       "time=\"0\"/>"),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<failure message=\"expected: each &lt;lost&gt; segment re-sent; "
                       "observed: never re-sent: c2s &quot;PSH&quot; &amp; more?\""),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<property name=\"backend\" value=\"tc\"/>"), std::string::npos);
    EXPECT_EQ(xml.find('\x01'), std::string::npos);
}

TEST(Junit, APassingRunHasNoFailureElement) {
    RunReport r = two_checks();
    r.checks[1].pass = true;
    const std::string xml = junit_xml(r);
    EXPECT_NE(xml.find("failures=\"0\""), std::string::npos);
    EXPECT_EQ(xml.find("<failure"), std::string::npos);
}

}  // namespace
}  // namespace tcplab::scenario
