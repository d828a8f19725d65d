// `tcplab analyze`'s inputs through the real binary: a capture piped to stdin ("-") says exactly
// what the file says (every output form, and the warning of a damaged capture with its byte
// offset); -f filters a file exactly as tcpdump's filtered copy of it reads in tshark; a bad filter
// is a usage error naming the flag; the progress line appears on a terminal only.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/files.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/tshark.hpp"

namespace tcplab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct AnalyzeRun {
    int rc = -1;
    std::string out;
    std::string err;
};

// `tcplab analyze ARGS`, with `input_prefix` put before it in the shell line (e.g. "cat F |").
AnalyzeRun analyze(const std::string& args, const std::string& input_prefix = "") {
    const test_support::ScratchDir dir("cli-analyze");
    const fs::path err = dir.path() / "stderr.txt";
    auto run = test_support::shell(input_prefix + " " + TCPLAB_BINARY + " analyze " + args +
                                   " 2>'" + err.string() + "'");
    return {run.exit_code, std::move(run.out), test_support::read_file(err)};
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

std::vector<fs::path> committed_captures() {
    std::vector<fs::path> captures;
    for (const auto& entry : fs::directory_iterator(fs::path(TCPLAB_TEST_DATA) / "analyzer")) {
        const auto ext = entry.path().extension();
        if (ext == ".pcap" || ext == ".pcapng") captures.push_back(entry.path());
    }
    return captures;
}

const char* const kForms[] = {"",         "--format json",          "--format tsv",
                              "--frames", "--frames --format json", "--frames --format tsv"};

// The file's output with its name as stdin's ("-") equals what the pipe gives, stderr alike.
void expect_stdin_same_as_file(const fs::path& capture) {
    for (const char* form : kForms) {
        const AnalyzeRun file = analyze(std::string(form) + " " + quoted(capture));
        const AnalyzeRun piped = analyze(std::string(form) + " -", "cat " + quoted(capture) + " |");
        const std::string what = capture.filename().string() + " " + form;
        EXPECT_EQ(piped.rc, file.rc) << what;
        EXPECT_EQ(piped.out, replace_all(file.out, capture.string(), "-")) << what;
        EXPECT_EQ(piped.err, replace_all(file.err, capture.string(), "-")) << what;
    }
}

TEST(AnalyzeStdin, SameAsTheFileInEveryForm) {
    const auto captures = committed_captures();
    ASSERT_GE(captures.size(), 10u);
    for (const auto& capture : captures) expect_stdin_same_as_file(capture);
}

TEST(AnalyzeStdin, ADamagedCaptureNamesTheSameByteOffset) {
    const test_support::ScratchDir dir("cli-stdin-cut");
    std::size_t with_warning = 0;
    for (const auto& capture : committed_captures()) {
        auto bytes = test_support::read_bytes(capture);
        bytes.resize(bytes.size() * 2 / 3);  // mid-record
        const fs::path cut = dir.path() / capture.filename();
        test_support::write_bytes(cut, bytes);
        expect_stdin_same_as_file(cut);
        if (analyze(quoted(cut)).err.find("byte offset") != std::string::npos) ++with_warning;
    }
    EXPECT_GE(with_warning, 10u) << "the cut captures should warn, naming the byte offset";
}

TEST(AnalyzeStdin, ReadOnce) {
    const AnalyzeRun run = analyze("- -", "true |");
    EXPECT_EQ(run.rc, 2);
    EXPECT_THAT(run.err, HasSubstr("- (stdin) can be read only once"));
}

// tshark's analysis of the rows left after tcpdump applied the filter: the oracle for -f.
std::string tshark_tsv_of_filtered(const fs::path& capture, const std::string& filter,
                                   const fs::path& dir) {
    const fs::path filtered = dir / ("filtered-" + capture.filename().string());
    const auto tcpdump = test_support::shell("tcpdump -r " + quoted(capture) + " -w " +
                                             quoted(filtered) + " '" + filter + "' 2>/dev/null");
    if (tcpdump.exit_code != 0) return "tcpdump failed";
    return test_support::tshark_expected_tsv(filtered);
}

std::size_t lines_of(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(AnalyzeFilter, AFilteredFileReadsAsTsharkReadsTcpdumpsFilteredCopy) {
    if (!test_support::have_tool("tshark") || !test_support::have_tool("tcpdump"))
        GTEST_SKIP() << "needs tshark and tcpdump";
    const test_support::ScratchDir dir("cli-filter");
    const fs::path data = fs::path(TCPLAB_TEST_DATA) / "analyzer";
    // Dropping the small frames (pure ACKs) or the large ones (data) changes every verdict that
    // follows: the numbering and the analysis must both follow the filter.
    for (const char* name :
         {"loss_data_v4-client.pcap", "fin_loss_v6-server.pcap", "congestion_v4-client.pcap"}) {
        const fs::path capture = data / name;
        const std::string all = analyze("--frames --format tsv " + quoted(capture)).out;
        for (const char* filter : {"greater 100", "less 100"}) {
            const AnalyzeRun ours = analyze("-f '" + std::string(filter) +
                                            "' --frames --format tsv " + quoted(capture));
            ASSERT_EQ(ours.rc, 0) << ours.err;
            EXPECT_EQ(ours.out, tshark_tsv_of_filtered(capture, filter, dir.path()))
                << name << " -f '" << filter << "'";
            EXPECT_GT(lines_of(ours.out), 1u) << name << " " << filter << ": nothing left";
            EXPECT_LT(lines_of(ours.out), lines_of(all)) << name << " " << filter << ": no effect";
        }
    }
}

// -w saves the records the analysis read, after -f: the very packets tcpdump's filtered copy of
// the file holds (times, lengths and bytes, as tcpdump prints them), whichever reader read them.
TEST(AnalyzeFilter, TheSavedCopyHoldsWhatTcpdumpsFilterKeeps) {
    if (!test_support::have_tool("tcpdump")) GTEST_SKIP() << "needs tcpdump";
    const test_support::ScratchDir dir("cli-save");
    const fs::path capture = fs::path(TCPLAB_TEST_DATA) / "analyzer" / "loss_data_v4-client.pcap";
    const auto packets = [](const fs::path& file) {
        return test_support::shell("tcpdump -nn -tt -x -r " + quoted(file) + " 2>/dev/null").out;
    };
    for (const char* filter : {"", "greater 100"}) {
        const fs::path ours = dir.path() / "ours.pcap";
        const fs::path theirs = dir.path() / "theirs.pcap";
        const AnalyzeRun run =
            analyze("-f '" + std::string(filter) + "' -w " + quoted(ours) + " " + quoted(capture));
        ASSERT_EQ(run.rc, 0) << run.err;
        ASSERT_EQ(test_support::shell("tcpdump -r " + quoted(capture) + " -w " + quoted(theirs) +
                                      " '" + filter + "' 2>/dev/null")
                      .exit_code,
                  0);
        EXPECT_GT(lines_of(packets(ours)), 10u) << filter;
        EXPECT_EQ(packets(ours), packets(theirs)) << "-f '" << filter << "'";
    }
}

TEST(AnalyzeFilter, ABadFilterIsAUsageErrorNamingTheFlag) {
    const fs::path capture = fs::path(TCPLAB_TEST_DATA) / "analyzer" / "clean_v4-client.pcap";
    const AnalyzeRun run = analyze("-f 'tcp prot 80' " + quoted(capture));
    EXPECT_EQ(run.rc, 2);
    EXPECT_THAT(run.err, HasSubstr("-f 'tcp prot 80': "));
    EXPECT_THAT(run.err, HasSubstr("syntax error"));  // libpcap's own words
    EXPECT_EQ(run.out, "");
}

// A pcap of `records` records or more: the body of a committed capture repeated.
std::vector<std::uint8_t> many_records(std::size_t records) {
    const auto one =
        test_support::read_bytes(fs::path(TCPLAB_TEST_DATA) / "analyzer" / "clean_v4-client.pcap");
    std::size_t in_body = 0;
    for (std::size_t at = 24; at + 16 <= one.size(); ++in_body) {
        std::uint32_t caplen = 0;
        std::memcpy(&caplen, &one[at + 8], 4);  // little-endian file, little-endian host
        at += 16 + caplen;
    }
    std::vector<std::uint8_t> bytes(one.begin(), one.begin() + 24);
    for (std::size_t n = 0; n < records; n += in_body)
        bytes.insert(bytes.end(), one.begin() + 24, one.end());
    return bytes;
}

// Runs `tcplab analyze [extra] -` with stdin fed from a pipe (the header, a pause, then the
// records, so that reading lasts past the progress line's quiet first half second) and stderr
// on a terminal (a pty) or not; returns what reached stderr.
std::string stderr_while_reading_slowly(bool terminal, const char* extra) {
    int master = -1;
    int slave = -1;
    if (terminal && ::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return "no pty";
    int err_pipe[2] = {-1, -1};
    if (!terminal && ::pipe(err_pipe) != 0) return "no pipe";
    int in[2] = {-1, -1};
    if (::pipe(in) != 0) return "no pipe";
    const int err_write = terminal ? slave : err_pipe[1];
    const int err_read = terminal ? master : err_pipe[0];
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(in[1]);  // else stdin never ends
        ::close(err_read);
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(err_write, STDERR_FILENO);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::execl(TCPLAB_BINARY, TCPLAB_BINARY, "analyze", extra, "-", nullptr);
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(err_write);
    const auto bytes = many_records(3 * 8192);
    std::thread feeder([&] {
        (void)!::write(in[1], bytes.data(), 24);
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        for (std::size_t at = 24; at < bytes.size();) {
            const ssize_t n = ::write(in[1], bytes.data() + at, bytes.size() - at);
            if (n <= 0) break;
            at += static_cast<std::size_t>(n);
        }
        ::close(in[1]);
    });
    std::string text;
    char buffer[4096];
    for (;;) {  // until the child closed its end (a pty master then reads EIO)
        const ssize_t n = ::read(err_read, buffer, sizeof buffer);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    feeder.join();
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(err_read);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        text += "[exit status " + std::to_string(status) + "]";
    return text;
}

TEST(AnalyzeProgress, ShownOnATerminalAndErasedAtTheEnd) {
    const std::string err = stderr_while_reading_slowly(true, "--frames");
    EXPECT_THAT(err, HasSubstr("\rtcplab analyze: -  "));
    EXPECT_THAT(err, HasSubstr("MiB/s"));
    EXPECT_TRUE(err.ends_with("\r\x1b[K")) << err;
}

TEST(AnalyzeProgress, NothingWhenStderrIsNoTerminalOrWithQuiet) {
    EXPECT_EQ(stderr_while_reading_slowly(false, "--frames"), "");
    EXPECT_EQ(stderr_while_reading_slowly(true, "--quiet"), "");
}

}  // namespace
}  // namespace tcplab
