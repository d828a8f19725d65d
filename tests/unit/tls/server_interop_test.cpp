// `openssl s_client` (a peer we did not write) against the tcplab TLS server: a client with a
// certificate from our CA gets the greeting over TLS 1.2 and 1.3 with EC and RSA keys; no
// certificate, another CA's, an expired one, or a server certificate (wrong EKU) are refused
// with the alert openssl names; a client resumes the session it was given; a configured greeting
// arrives as configured.
#include <gtest/gtest.h>

#include <sstream>

#include "base/errors.hpp"
#include "server_fixture.hpp"
#include "tls/client.hpp"
#include "tls/detail/key_file.hpp"

namespace tcplab::tls {
namespace {

namespace fs = std::filesystem;
using namespace test;

class ServerInterop : public OpensslPkiSuite {
protected:
    // s_client with -ign_eof: it waits for the server to close, so it sees the whole greeting.
    static RunResult s_client(std::uint16_t port, const std::string& version,
                              const std::optional<fs::path>& cert_dir,
                              const std::string& cert_name) {
        std::vector<std::string> argv = {"openssl",
                                         "s_client",
                                         "-connect",
                                         "127.0.0.1:" + std::to_string(port),
                                         "-CAfile",
                                         (pki_.dir / "ca.pem").string(),
                                         "-verify_return_error",
                                         "-ign_eof",
                                         "-tls" + version};
        if (cert_dir) {
            argv.insert(argv.end(), {"-cert", (*cert_dir / (cert_name + ".pem")).string(), "-key",
                                     (*cert_dir / (cert_name + ".key")).string()});
        }
        return run(argv, tmp_->path(), std::chrono::seconds(20));
    }
};

struct GoodCase {
    const char* version;  // s_client flag suffix: 1_2 / 1_3
    const char* server_cert;
    const char* client_cert;
    const char* expect_version;
};

class ServerAccepts : public ServerInterop, public ::testing::WithParamInterface<GoodCase> {};

TEST_P(ServerAccepts, GreetingReachesOpensslClient) {
    RunningServer server(server_config(pki_, GetParam().server_cert));
    const auto r = s_client(server.port(), GetParam().version, pki_.dir, GetParam().client_cert);
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.out.find(kGreeting), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.out.find("Verify return code: 0 (ok)"), std::string::npos) << r.out;
    const auto logs = server.wait_for_logs(1);
    ASSERT_EQ(logs.size(), 1U);
    EXPECT_TRUE(logs[0].ok) << logs[0].error;
    EXPECT_EQ(logs[0].client_subject, std::string("O = tcplab, CN = ") + GetParam().client_cert);
    EXPECT_EQ(logs[0].version, GetParam().expect_version);
    EXPECT_NE(r.out.find("Protocol  : " + logs[0].version), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(logs[0].cipher), std::string::npos)
        << "openssl and our log agree on the cipher";
    EXPECT_EQ(logs[0].peer.rfind("127.0.0.1:", 0), 0U) << logs[0].peer;
    const auto line = format_log(logs[0]);
    EXPECT_NE(line.find("Certificate of client 127.0.0.1:"), std::string::npos) << line;
}

INSTANTIATE_TEST_SUITE_P(VersionsAndKeys, ServerAccepts,
                         ::testing::Values(GoodCase{"1_3", "server", "c1", "TLSv1.3"},
                                           GoodCase{"1_2", "server", "c1", "TLSv1.2"},
                                           GoodCase{"1_3", "rsa-server", "rsa-client", "TLSv1.3"},
                                           GoodCase{"1_2", "rsa-server", "rsa-client", "TLSv1.2"}),
                         [](const auto& info) {
                             std::string n = std::string("tls") + info.param.version + "_" +
                                             info.param.server_cert;
                             for (char& c : n) {
                                 if (c == '-') c = '_';
                             }
                             return n;
                         });

struct RefuseCase {
    const char* name;
    const char* version;
    const char* cert_dir;  // "pki", "other" or "" for no certificate
    const char* cert;
    const char* openssl_says;  // in s_client's stderr
    const char* server_says;   // in our log's error
};

class ServerRefuses : public ServerInterop, public ::testing::WithParamInterface<RefuseCase> {};

TEST_P(ServerRefuses, HandshakeRefusedWithTheRightAlert) {
    RunningServer server(server_config(pki_));
    std::optional<fs::path> dir;
    if (std::string(GetParam().cert_dir) == "pki") dir = pki_.dir;
    if (std::string(GetParam().cert_dir) == "other") dir = pki_.other_dir;
    const auto r = s_client(server.port(), GetParam().version, dir, GetParam().cert);
    EXPECT_NE(r.rc, 0) << r.out;
    EXPECT_EQ(r.out.find(kGreeting), std::string::npos)
        << "no application data for a refused client";
    EXPECT_NE(r.err.find(GetParam().openssl_says), std::string::npos) << r.err;
    const auto logs = server.wait_for_logs(1);
    ASSERT_EQ(logs.size(), 1U);
    EXPECT_FALSE(logs[0].ok);
    EXPECT_NE(logs[0].error.find(GetParam().server_says), std::string::npos) << logs[0].error;
    const auto stats = server.stop();
    EXPECT_EQ(stats.refused, 1U);
    EXPECT_EQ(stats.completed, 0U);
}

INSTANTIATE_TEST_SUITE_P(
    BadClients, ServerRefuses,
    ::testing::Values(RefuseCase{"no_cert_tls13", "1_3", "", "", "alert certificate required",
                                 "client sent no certificate"},
                      RefuseCase{"no_cert_tls12", "1_2", "", "", "alert handshake failure",
                                 "client sent no certificate"},
                      RefuseCase{"other_ca_tls13", "1_3", "other", "c1", "alert unknown ca",
                                 "not signed by our --ca"},
                      RefuseCase{"other_ca_tls12", "1_2", "other", "c1", "alert unknown ca",
                                 "not signed by our --ca"},
                      RefuseCase{"expired_tls13", "1_3", "pki", "expired",
                                 "alert certificate expired", "has expired"},
                      RefuseCase{"expired_tls12", "1_2", "pki", "expired",
                                 "alert certificate expired", "has expired"},
                      RefuseCase{"wrong_eku_tls13", "1_3", "pki", "server",
                                 "alert unsupported certificate", "clientAuth"},
                      RefuseCase{"wrong_eku_tls12", "1_2", "pki", "server",
                                 "alert unsupported certificate", "clientAuth"}),
    [](const auto& info) { return std::string(info.param.name); });

// Resumption is stateful (tls/context.cpp): the second s_client resumes with what the first was
// given, and what it was given is a short name for a session kept in the server, not the whole
// session encrypted under a ticket key.
class ServerResumes : public ServerInterop, public ::testing::WithParamInterface<const char*> {};

TEST_P(ServerResumes, OpensslClientResumesAStatefulSession) {
    RunningServer server(server_config(pki_));
    const fs::path session = tmp_->path() / (std::string("session-") + GetParam() + ".pem");
    const auto connect = [&](const char* session_flag) {
        return run({"openssl", "s_client", "-connect", server.address(), "-CAfile",
                    (pki_.dir / "ca.pem").string(), "-verify_return_error", "-ign_eof",
                    std::string("-tls") + GetParam(), "-cert", (pki_.dir / "c1.pem").string(),
                    "-key", (pki_.dir / "c1.key").string(), session_flag, session.string()},
                   tmp_->path(), std::chrono::seconds(20));
    };
    const auto first = connect("-sess_out");
    ASSERT_EQ(first.rc, 0) << first.err;
    EXPECT_NE(first.out.find("\nNew, TLSv1."), std::string::npos) << first.out;
    const auto second = connect("-sess_in");
    ASSERT_EQ(second.rc, 0) << second.err;
    EXPECT_NE(second.out.find("\nReused, TLSv1."), std::string::npos) << second.out;
    EXPECT_NE(second.out.find(kGreeting), std::string::npos) << second.out;

    const auto logs = server.wait_for_logs(2);
    ASSERT_EQ(logs.size(), 2U);
    EXPECT_FALSE(logs[0].resumed);
    EXPECT_TRUE(logs[1].resumed);
    EXPECT_EQ(logs[1].client_subject, "O = tcplab, CN = c1")
        << "the session remembers the client certificate";
    EXPECT_NE(format_log(logs[1]).find(" resumed"), std::string::npos) << format_log(logs[1]);

    // A stateless ticket would carry the encrypted session with the client certificate (~650
    // bytes); a stateful one is the session's 32-byte ID. TLS 1.2 without tickets has none.
    const auto text =
        run({"openssl", "sess_id", "-in", session.string(), "-noout", "-text"}, tmp_->path());
    ASSERT_EQ(text.rc, 0) << text.err;
    std::size_t ticket_lines = 0;
    if (const auto at = text.out.find("TLS session ticket:\n"); at != std::string::npos) {
        std::istringstream dump(text.out.substr(at + 20));
        for (std::string line; std::getline(dump, line) && line.find(" - ") != std::string::npos;) {
            ++ticket_lines;
        }
    }
    EXPECT_LE(ticket_lines, 2U) << "at most 32 bytes of ticket (16 per hex dump line):\n"
                                << text.out;
}

INSTANTIATE_TEST_SUITE_P(Versions, ServerResumes, ::testing::Values("1_3", "1_2"),
                         [](const auto& info) { return std::string("tls") + info.param; });

TEST_F(ServerInterop, MinVersion13RefusesTls12Client) {
    auto config = server_config(pki_);
    config.tls.min_version = TlsVersion::tls13;
    RunningServer server(config);
    const auto r = s_client(server.port(), "1_2", pki_.dir, "c1");
    EXPECT_NE(r.rc, 0);
    EXPECT_NE(r.err.find("protocol version"), std::string::npos) << r.err;
}

// --greeting: openssl's client receives exactly the configured bytes instead of kGreeting.
TEST_F(ServerInterop, ConfiguredGreetingReachesOpensslClient) {
    auto config = server_config(pki_);
    config.greeting = unescape("lab server 3 ready\\x21\\n", "--greeting");
    RunningServer server(config);
    const auto r = s_client(server.port(), "1_3", pki_.dir, "c1");
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.out.find("lab server 3 ready!\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(kGreeting), std::string::npos) << r.out;
    const auto logs = server.wait_for_logs(1);
    ASSERT_EQ(logs.size(), 1U);
    EXPECT_EQ(logs[0].bytes_out, std::string("lab server 3 ready!\n").size());
}

TEST_F(ServerInterop, GreetingMustBeOneRecordAndNotEmpty) {
    auto config = server_config(pki_);
    config.greeting.clear();
    EXPECT_THROW(Server{config}, UsageError);
    config.greeting.assign(kMaxGreetingBytes + 1, 'x');
    EXPECT_THROW(Server{config}, UsageError);
}

TEST_F(ServerInterop, DualStackListenerServesIpv6) {
    auto config = server_config(pki_);
    config.listen = "[::1]:0";
    RunningServer server(config);
    const auto r = run(
        {"openssl", "s_client", "-connect", "[::1]:" + std::to_string(server.port()), "-CAfile",
         (pki_.dir / "ca.pem").string(), "-verify_return_error", "-verify_ip", "::1", "-ign_eof",
         "-cert", (pki_.dir / "c1.pem").string(), "-key", (pki_.dir / "c1.key").string()},
        tmp_->path(), std::chrono::seconds(20));
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.out.find(kGreeting), std::string::npos);
    const auto logs = server.wait_for_logs(1);
    ASSERT_EQ(logs.size(), 1U);
    EXPECT_EQ(logs[0].peer.rfind("[::1]:", 0), 0U) << logs[0].peer;
}

TEST_F(ServerInterop, KeyLogFileLetsWiresharkDecrypt) {
    const fs::path keylog = tmp_->path() / "keys.log";
    ::setenv("SSLKEYLOGFILE", keylog.c_str(), 1);
    {
        RunningServer server(server_config(pki_));
        ::unsetenv("SSLKEYLOGFILE");
        const auto r = s_client(server.port(), "1_3", pki_.dir, "c1");
        EXPECT_EQ(r.rc, 0) << r.err;
        server.wait_for_logs(1);
    }
    const std::string text = read_file(keylog);
    EXPECT_NE(text.find("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), std::string::npos) << text;
    EXPECT_NE(text.find("SERVER_TRAFFIC_SECRET_0 "), std::string::npos);
}

}  // namespace
}  // namespace tcplab::tls
