// `tcplab analyze -i` on real traffic between two fresh namespaces (kernel TCP on both ends, every
// 5th packet of the connection dropped so there is something to flag). Each live run saves what
// it analysed (-w): its output equals tshark's and `analyze FILE`'s on those very packets, and
// it missed none that the product's own capture of the interface, running alongside, recorded.
// Three live runs at once, one per way to end: SIGTERM, --count, --duration.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>

#include "base/child_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/lab.hpp"
#include "tests/support/netns_pair.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/traffic.hpp"
#include "tests/support/tshark.hpp"

namespace tcplab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr std::uint16_t kPort = 5201;
const std::string kFilter = "tcp port 5201";

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// `tcplab analyze ARGS` inside namespace `ns`, stdout to `out`, stderr to `out`.err.
ChildOptions live_analyze(const std::string& ns, const std::string& args, const fs::path& out) {
    ChildOptions o;
    o.command = std::string("exec ") + TCPLAB_BINARY + " analyze " + args + " >" + q(out);
    o.netns = ns;
    o.log = out.string() + ".err";
    return o;
}

bool wait_listening(const fs::path& err) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (test_support::read_file(err).find("listening on") != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::string tcplab_analyze(const std::string& args) {
    return test_support::shell(std::string(TCPLAB_BINARY) + " analyze " + args + " 2>/dev/null")
        .out;
}

// The JSON document without its "file" key (the interface's name live, the path for a file).
std::string without_file_key(const std::string& json, const std::string& name) {
    std::string text = json;
    const std::string key = "{\"file\":\"" + name + "\",";
    const auto at = text.find(key);
    if (at != std::string::npos) text.erase(at, key.size());
    return text;
}

// The first two columns (frame, stream) of --frames --format tsv output.
std::string frames_and_streams(const std::string& tsv) {
    std::istringstream lines(tsv);
    std::string out;
    for (std::string line; std::getline(lines, line);) {
        const auto second_tab = line.find('\t', line.find('\t') + 1);
        out += line.substr(0, second_tab) + "\n";
    }
    return out;
}

TEST(AnalyzeLive, EqualsTheFileAnalysisAndTsharkHoweverItEnds) {
    TCPLAB_REQUIRE_ROOT();
    if (!test_support::have_tool("tshark")) GTEST_SKIP() << "needs tshark";
    test_support::NetnsPair pair;
    ASSERT_EQ(pair.error(), "");
    pair.drop_every(kPort, 5);
    const test_support::ScratchDir dir("analyze-live");
    const fs::path product_capture = dir.path() / "product.pcap";
    const fs::path tsv = dir.path() / "live.tsv";
    const fs::path json = dir.path() / "live.json";
    const fs::path text = dir.path() / "live.txt";
    const auto saved = [](const fs::path& out) { return fs::path(out.string() + ".pcap"); };
    constexpr int kCount = 12;

    test_support::ScopedCapture capture(pair.b(), pair.if_b(), product_capture);
    const auto live = [&](const std::string& args, const fs::path& out) {
        return live_analyze(
            pair.b(),
            "-i " + pair.if_b() + " -f '" + kFilter + "' -w " + q(saved(out)) + " " + args, out);
    };
    ChildProcess by_signal(live("--frames --format tsv", tsv));
    ChildProcess by_count(live("--count " + std::to_string(kCount) + " --format json", json));
    ChildProcess by_duration(live("--duration 8", text));
    for (const auto& out : {tsv, json, text})
        ASSERT_TRUE(wait_listening(out.string() + ".err"))
            << test_support::read_file(out.string() + ".err");

    const auto started = std::chrono::steady_clock::now();
    const auto bulk = test_support::tcp_bulk(pair.a(), pair.b(), pair.v4(2), kPort, 300000);
    ASSERT_EQ(bulk.bytes, 300000u);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the last ACKs

    EXPECT_EQ(by_count.wait_for(std::chrono::seconds(5)), 0) << "--count did not end it";
    EXPECT_TRUE(by_signal.running());
    EXPECT_EQ(by_signal.stop(), 0) << "SIGTERM did not end it cleanly";
    EXPECT_EQ(by_duration.wait_for(std::chrono::seconds(15)), 0) << "--duration did not end it";
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(5))
        << "--duration 8 ended too early";
    capture.stop();

    // SIGTERM: the rows equal tshark's on the packets the live run saw (-w), and the file's.
    const std::string live_rows = test_support::read_file(tsv);
    EXPECT_EQ(live_rows, test_support::tshark_expected_tsv(saved(tsv)));
    EXPECT_EQ(live_rows, tcplab_analyze("--frames --format tsv " + q(saved(tsv))));
    EXPECT_THAT(live_rows, HasSubstr("retransmission"));
    EXPECT_GT(std::count(live_rows.begin(), live_rows.end(), '\n'), 100);
    // Nothing missed: the same frames as the product's own capture of the interface (the
    // flags are not compared: two packet sockets stamp a packet microseconds apart, and the
    // out-of-order threshold on a veth is an iRTT of some 10 us).
    EXPECT_EQ(frames_and_streams(live_rows),
              frames_and_streams(tcplab_analyze("-f '" + kFilter + "' --frames --format tsv " +
                                                q(product_capture))));

    // --count: the report of the first kCount frames, the handshake in it.
    const std::string live_json = test_support::read_file(json);
    EXPECT_EQ(
        without_file_key(live_json, pair.if_b()),
        without_file_key(tcplab_analyze("--format json " + q(saved(json))), saved(json).string()));
    EXPECT_THAT(live_json, HasSubstr("\"records\":" + std::to_string(kCount) + ","));
    EXPECT_THAT(live_json, HasSubstr("\"syn\":{"));

    // --duration: the whole connection's text report, as for the file.
    const std::string live_text = test_support::read_file(text);
    const std::string file_text = tcplab_analyze(q(saved(text)));
    EXPECT_EQ(live_text.substr(live_text.find('\n')), file_text.substr(file_text.find('\n')));
    EXPECT_THAT(live_text, HasSubstr("teardown"));
}

}  // namespace
}  // namespace tcplab
