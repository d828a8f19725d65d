// Programs nobody here wrote, through the impaired path: `scenario run --server CMD --client CMD`
// with python3's http.server and curl (a multi-MB download, digest checked, v4 and v6), iperf3
// against iperf3, openssl s_client against s_server — over loss and delay — and the ways a
// user's program goes wrong: a client that fails, a server that never listens, a client that
// hangs past its timeout, a command that leaves children behind. The commands run as uid 65534,
// as when `sudo` was invoked by that user.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/files.hpp"
#include "tests/support/root.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"

namespace {

namespace fs = std::filesystem;
using tcplab::test_support::shell;

class UserCommands : public ::testing::Test {
protected:
    void SetUp() override {
        TCPLAB_REQUIRE_ROOT();
        for (const char* tool : {"curl", "iperf3", "openssl", "sha256sum"}) {
            ASSERT_TRUE(tcplab::test_support::have_tool(tool)) << tool << " (scripts/setup.sh)";
        }
        fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
    }

    // Runs `tcplab scenario run --backend userspace ARGS` as the sudo-invoking user 65534.
    int run(const std::string& name, const std::string& args) {
        out_ = dir_ / name;
        const auto r = shell("SUDO_UID=65534 SUDO_GID=65534 " + std::string(TCPLAB_BINARY) +
                             " scenario run --backend userspace --quiet --out " + out_.string() +
                             " " + args + " 2>&1");
        output_ = r.out;
        return r.exit_code;
    }
    nlohmann::json report() const {
        std::ifstream in(out_ / "report.json");
        return nlohmann::json::parse(in);
    }
    nlohmann::json check(const std::string& name) const {
        const nlohmann::json r = report();
        for (const auto& c : r.at("checks")) {
            if (c.at("name") == name) {
                return c;
            }
        }
        return {};
    }
    std::string client_log() const { return tcplab::test_support::read_file(out_ / "client.log"); }
    // A random file the server offers, and the client command that fetches and verifies it.
    std::string blob(std::size_t bytes) {
        fs::create_directories(dir_ / "www");
        shell("head -c " + std::to_string(bytes) + " /dev/urandom > " +
              (dir_ / "www/blob").string() + " && chmod -R a+rX " + (dir_ / "www").string());
        return shell("sha256sum < " + (dir_ / "www/blob").string() + " | cut -d' ' -f1")
            .out.substr(0, 64);
    }

    const tcplab::test_support::ScratchDir scratch_{"user-commands"};
    const fs::path dir_ = scratch_.path();
    fs::path out_;
    std::string output_;
};

TEST_F(UserCommands, CurlDownloadsFromPythonHttpServerThroughLossAndDelay) {
    for (const bool v6 : {false, true}) {
        const std::string sum = blob(3'000'000);
        const std::string url =
            v6 ? "http://[$TCPLAB_SERVER_ADDR6]:8080/blob" : "http://$TCPLAB_SERVER_ADDR:8080/blob";
        const int rc =
            run(v6 ? "curl6" : "curl4",
                "--loss 5 --delay 10 --seed 3 --ipv6 " + std::string(v6 ? "true" : "false") +
                    " --server 'python3 -m http.server 8080 --bind " + (v6 ? "::" : "0.0.0.0") +
                    " --directory " + (dir_ / "www").string() + "' --client 'curl -gsf " + url +
                    " | sha256sum; id -u' --server-ready-port 8080");
        ASSERT_EQ(rc, 0) << output_;
        EXPECT_NE(client_log().find(sum), std::string::npos) << client_log();
        EXPECT_NE(client_log().find("65534"), std::string::npos) << "not run as the sudo user";
        const auto drops = check("drops_retransmitted");
        ASSERT_TRUE(drops.is_object()) << output_;
        EXPECT_TRUE(drops.at("pass").get<bool>());
        EXPECT_EQ(drops.at("observed").get<std::string>().find("0 of 0"), std::string::npos)
            << "5% loss over 3 MB loses segments: " << drops;
        EXPECT_TRUE(fs::exists(out_ / "report.xml"));
    }
}

TEST_F(UserCommands, Iperf3ClientAgainstIperf3Server) {
    ASSERT_EQ(run("iperf3",
                  "--loss 2 --delay 10 --server 'iperf3 -s -p 5201 -1' "
                  "--client 'iperf3 -c $TCPLAB_SERVER_ADDR -p 5201 -n 2M' "
                  "--server-ready-port 5201"),
              0)
        << output_;
    EXPECT_NE(client_log().find("iperf Done"), std::string::npos) << client_log();
    EXPECT_TRUE(check("drops_retransmitted").at("pass").get<bool>());
}

TEST_F(UserCommands, OpensslClientAgainstOpensslServer) {
    const std::string server =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=lab -keyout key.pem -out cert.pem 2>/dev/null && "
        "exec openssl s_server -accept 4433 -cert cert.pem -key key.pem -www";
    const std::string client =
        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -quiet -connect "
        "\\$TCPLAB_SERVER_ADDR:4433 2>/dev/null | grep -c 'Ciphers supported'";
    ASSERT_EQ(run("openssl", "--loss 5 --delay 20 --server \"" + server + "\" --client \"" +
                                 client + "\" --server-ready-port 4433"),
              0)
        << output_ << client_log();
    EXPECT_EQ(check("client_exit").at("pass"), true);
}

TEST_F(UserCommands, AFailingClientFailsTheRun) {
    EXPECT_EQ(run("false", "--loss 1 --client 'exit 3'"), 1) << output_;
    EXPECT_EQ(check("client_exit").at("pass"), false);
    EXPECT_NE(check("client_exit").at("observed").get<std::string>().find("client exit 3"),
              std::string::npos);
    EXPECT_EQ(run("expected", "--loss 1 --client 'exit 3' --expect-client-exit 3"), 0) << output_;
}

TEST_F(UserCommands, AServerThatNeverListensFailsClearly) {
    EXPECT_EQ(run("deaf", "--server 'sleep 30' --server-ready-timeout 2 --client true"), 1);
    EXPECT_NE(check("client_exit")
                  .at("observed")
                  .get<std::string>()
                  .find("the server did not listen on any TCP port within 2"),
              std::string::npos)
        << output_;
}

// A run directory below one the user may not enter (a run under /root): the commands still run,
// from "/", and say why in their log.
TEST_F(UserCommands, ARunDirectoryTheUserCannotEnterRunsThemFromTheRoot) {
    fs::create_directories(dir_ / "closed");
    fs::permissions(dir_ / "closed", fs::perms::owner_all);
    out_ = dir_ / "closed/run";
    const auto r = shell("SUDO_UID=65534 SUDO_GID=65534 " + std::string(TCPLAB_BINARY) +
                         " scenario run --backend userspace --quiet --out " + out_.string() +
                         " --client 'id -u; pwd' 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(client_log().find("running in /\n65534\n/\n"), std::string::npos) << client_log();
}

TEST_F(UserCommands, AHangingClientIsStoppedAtItsTimeoutWithItsChildren) {
    const auto r = shell("pgrep -f 'sleep 7[0-9]{2}' | wc -l");
    ASSERT_EQ(r.out, "0\n") << "leftover sleeps from an earlier run";
    EXPECT_EQ(run("hang", "--client '(sleep 731 &); sleep 732' --client-timeout 2"), 1);
    EXPECT_NE(
        check("client_exit").at("observed").get<std::string>().find("the client still ran after 2"),
        std::string::npos)
        << output_;
    EXPECT_EQ(shell("pgrep -f 'sleep 7[0-9]{2}' | wc -l").out, "0\n")
        << "the client's process group outlived the run";
}

TEST_F(UserCommands, AServerThatForksIsStoppedWholeAfterTheClient) {
    EXPECT_EQ(run("fork",
                  "--server '(sleep 741 &); exec python3 -m http.server 8090' "
                  "--client 'curl -sf http://$TCPLAB_SERVER_ADDR:8090/ >/dev/null'"),
              0)
        << output_;
    EXPECT_EQ(shell("pgrep -f 'sleep [7]41|http[.]server 8090' | wc -l").out, "0\n")
        << "the server's children outlived the run";
}

}  // namespace
