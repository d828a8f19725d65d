// Capture's error paths that need no privileges: a missing namespace is named in the error,
// stop() before start() is refused, nothing is written when start fails.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/errors.hpp"
#include "netem/capture/capture.hpp"

using namespace tcplab::netem;

TEST(CaptureErrors, MissingNamespaceIsAnEnvironmentErrorNamingIt) {
    const auto file = std::filesystem::temp_directory_path() / "tcplab-capture-never.pcap";
    Capture cap({"tl0-unit-no-such-ns", "veth-c", file});
    try {
        cap.start();
        FAIL() << "started inside a namespace that does not exist";
    } catch (const tcplab::EnvironmentError& e) {
        EXPECT_NE(std::string(e.what()).find("tl0-unit-no-such-ns"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(cap.running());
    EXPECT_FALSE(std::filesystem::exists(file));
}

TEST(CaptureErrors, StopWithoutStartIsRefused) {
    Capture cap({"", "lo", "/tmp/unused.pcap"});
    EXPECT_THROW(cap.stop(), tcplab::SystemError);
}

TEST(CaptureErrors, DefaultsAreSizedForBursts) {
    const CaptureOptions options;
    EXPECT_EQ(options.buffer_bytes, 8 << 20);
    EXPECT_EQ(options.snaplen, 262144);
    EXPECT_TRUE(CaptureStats{}.complete());
    CaptureStats lossy;
    lossy.dropped = 1;
    EXPECT_FALSE(lossy.complete());
}
