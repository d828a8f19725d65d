// Bad input through the real binary: what the user sees (message, exit code) for files that
// are not captures, are cut mid-record, have a link type we do not decode, or hold empty records.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "analyzer_test_util.hpp"
#include "tests/support/files.hpp"

namespace tcplab::analyzer::test {
namespace {

namespace fs = std::filesystem;

struct CliRun {
    int rc = -1;
    std::string out;
    std::string err;
};

using test_support::read_bytes;
using test_support::write_bytes;

CliRun tcplab(const std::string& args, const fs::path& dir) {
    CliRun r;
    const fs::path err = dir / "stderr.txt";
    auto run =
        test_support::shell(std::string(TCPLAB_BINARY) + " " + args + " 2>'" + err.string() + "'");
    r.rc = run.exit_code;
    r.out = std::move(run.out);
    std::ifstream in(err);
    r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

// Classic pcap file header (little endian, microseconds) with the given link type.
std::vector<std::uint8_t> pcap_header(std::uint32_t linktype) {
    std::vector<std::uint8_t> h = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4,    0,    0, 0,
                                   0,    0,    0,    0,    0, 0, 0xff, 0xff, 0, 0};
    for (int i = 0; i < 4; ++i) h.push_back(static_cast<std::uint8_t>(linktype >> (8 * i)));
    return h;
}

void append_record(std::vector<std::uint8_t>& file, const std::vector<std::uint8_t>& data,
                   std::uint32_t caplen_field, std::uint32_t seconds) {
    const auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) file.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    u32(seconds);
    u32(0);
    u32(caplen_field);
    u32(static_cast<std::uint32_t>(data.size()));
    file.insert(file.end(), data.begin(), data.end());
}

class BadInput : public ::testing::Test {
protected:
    const test_support::ScratchDir scratch_{"analyzer-bad-input"};
    const fs::path& dir_ = scratch_.path();
};

std::vector<Frame> small_conversation() {
    Script s;
    s.handshake().b(10, tf::kPsh | tf::kAck, 1, 1, 100).a(11, tf::kAck, 1, 101);
    return s.frames();
}

TEST_F(BadInput, GarbageFileIsExitTwoNamingTheFile) {
    const auto p = dir_ / "garbage.pcap";
    write_bytes(p, std::vector<std::uint8_t>(200, 0x5a));
    const CliRun r = tcplab("analyze '" + p.string() + "'", dir_);
    EXPECT_EQ(r.rc, 2);
    EXPECT_NE(r.err.find(p.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cannot read capture file"), std::string::npos) << r.err;
}

TEST_F(BadInput, MissingFileIsExitTwo) {
    const CliRun r = tcplab("analyze '" + (dir_ / "nope.pcap").string() + "'", dir_);
    EXPECT_EQ(r.rc, 2);
    EXPECT_NE(r.err.find("nope.pcap"), std::string::npos) << r.err;
}

TEST_F(BadInput, EmptyFileIsExitTwo) {
    const auto p = dir_ / "empty.pcap";
    write_bytes(p, {});
    const CliRun r = tcplab("analyze '" + p.string() + "'", dir_);
    EXPECT_EQ(r.rc, 2);
    EXPECT_NE(r.err.find("empty.pcap"), std::string::npos) << r.err;
}

TEST_F(BadInput, UnknownLinkTypeIsExitTwoNamingIt) {
    const auto p = dir_ / "user0.pcap";
    auto file = pcap_header(147);  // LINKTYPE_USER0
    append_record(file, std::vector<std::uint8_t>(40, 1), 40, 1);
    write_bytes(p, file);
    const CliRun r = tcplab("analyze '" + p.string() + "'", dir_);
    EXPECT_EQ(r.rc, 2);
    EXPECT_NE(r.err.find("unsupported link type 147"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("user0.pcap"), std::string::npos) << r.err;
}

TEST_F(BadInput, TruncatedMidRecordReportsWhatCameBeforeWithAWarning) {
    const auto good = dir_ / "good.pcap";
    write_pcap(good, small_conversation());
    auto bytes = read_bytes(good);
    bytes.resize(bytes.size() - 10);  // cut into the last record's data
    const auto p = dir_ / "cut.pcap";
    write_bytes(p, bytes);
    const CliRun r = tcplab("analyze --frames --format tsv '" + p.string() + "'", dir_);
    EXPECT_EQ(r.rc, 0) << r.err;
    const auto rows = parse_tsv(r.out);
    EXPECT_EQ(rows.size(), 4u);  // the 4 complete records of 5
    EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cut.pcap: record 5"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("offset"), std::string::npos) << r.err;
}

TEST_F(BadInput, ZeroLengthAndRuntRecordsAreCountedNotFatal) {
    auto file = pcap_header(1);  // Ethernet
    append_record(file, {}, 0, 1);
    append_record(file, {0x00, 0x01, 0x02}, 3, 2);
    append_record(file, std::vector<std::uint8_t>(14 + 20, 0), 34, 3);  // Ethernet + zero "IP"
    const auto p = dir_ / "runts.pcap";
    write_bytes(p, file);
    const CliRun frames = tcplab("analyze --frames --format tsv '" + p.string() + "'", dir_);
    EXPECT_EQ(frames.rc, 0) << frames.err;
    EXPECT_EQ(frames.out, "frame\tstream\tflags\trto\trto_frame\n");
    const CliRun text = tcplab("analyze '" + p.string() + "'", dir_);
    EXPECT_EQ(text.rc, 0) << text.err;
    EXPECT_NE(text.out.find("3 records, 0 TCP frames"), std::string::npos) << text.out;
    EXPECT_NE(text.err.find("could not be decoded, first record 1"), std::string::npos) << text.err;
}

TEST_F(BadInput, OneBadFileAmongGoodOnesStillReportsTheGoodOnes) {
    const auto good = dir_ / "good.pcap";
    write_pcap(good, small_conversation());
    const auto bad = dir_ / "bad.pcap";
    write_bytes(bad, std::vector<std::uint8_t>(64, 0x11));
    const CliRun r =
        tcplab("analyze --format json '" + good.string() + "' '" + bad.string() + "'", dir_);
    EXPECT_EQ(r.rc, 2);
    const auto doc = nlohmann::json::parse(r.out);  // still one valid document
    ASSERT_EQ(doc["files"].size(), 1u);
    EXPECT_EQ(doc["files"][0]["streams"].size(), 1u);
    EXPECT_NE(r.err.find("bad.pcap"), std::string::npos);
}

// Found by fuzz_pcap_file: a capture that starts mid-stream (no SYN) made --format json throw
// ("internal error", exit 3) while building endpoints.client from a null const char*.
TEST_F(BadInput, MidStreamCaptureWithoutSynIsValidJson) {
    Script s;
    s.b(0, tf::kPsh | tf::kAck, 1, 1, 100).a(1, tf::kAck, 1, 101);
    const auto p = dir_ / "midstream.pcap";
    write_pcap(p, s.frames());
    const CliRun r = tcplab("analyze --format json '" + p.string() + "'", dir_);
    ASSERT_EQ(r.rc, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["streams"].size(), 1u) << r.out;
    EXPECT_TRUE(doc["streams"][0]["endpoints"]["client"].is_null()) << r.out;
    EXPECT_TRUE(doc["streams"][0]["handshake"]["syn"].is_null()) << r.out;
}

TEST_F(BadInput, BadFlagsAreUsageErrors) {
    EXPECT_EQ(tcplab("analyze --format xml x.pcap", dir_).rc, 2);
    EXPECT_EQ(tcplab("analyze", dir_).rc, 2);
    EXPECT_EQ(tcplab("analyze --bogus x.pcap", dir_).rc, 2);
    EXPECT_EQ(tcplab("analyze --help", dir_).rc, 0);
}

// Boost.Program_options' own message for a bad value never returns when the value holds its
// placeholder (found by fuzz_scenario_spec in scenario files; the CLI has the same parser).
// `timeout` turns a regression into a failure instead of a hung test.
TEST_F(BadInput, FlagValueLookingLikeABoostPlaceholderIsAUsageError) {
    const fs::path err = dir_ / "stderr.txt";
    const int rc = test_support::shell("timeout 20 " + std::string(TCPLAB_BINARY) +
                                       " analyze --stream %value% x.pcap 2>'" + err.string() + "'")
                       .exit_code;
    std::ifstream in(err);
    const std::string message(std::istreambuf_iterator<char>(in), {});
    EXPECT_EQ(rc, 2) << message;
    EXPECT_NE(message.find("the argument ('%value%') for option '--stream' is invalid"),
              std::string::npos)
        << message;
}

}  // namespace
}  // namespace tcplab::analyzer::test
