// The tcplab TLS client against `openssl s_server -Verify 1 -verify_return_error` (a peer we did
// not write): HTTP GET through -www over TLS 1.2 and 1.3 with EC and RSA keys; wrong CA, wrong
// name, and a server that distrusts our certificate all fail in plain words — including TLS 1.3,
// where the rejection arrives after our side of the handshake has completed.
#include <gtest/gtest.h>

#include "server_fixture.hpp"
#include "tls/client.hpp"

namespace tcplab::tls {
namespace {

namespace fs = std::filesystem;
using namespace test;

class ClientInterop : public OpensslPkiSuite {
protected:
    // openssl s_server -www on a free port; `trust_dir` holds the CA it accepts clients from.
    struct SServer {
        std::uint16_t port;
        std::unique_ptr<Child> child;
    };
    static SServer s_server(const fs::path& cert_dir, const std::string& cert,
                            const fs::path& trust_dir, const std::string& version_flag = "") {
        SServer s{free_port(), nullptr};
        std::vector<std::string> argv = {"openssl",
                                         "s_server",
                                         "-accept",
                                         std::to_string(s.port),
                                         "-cert",
                                         (cert_dir / (cert + ".pem")).string(),
                                         "-key",
                                         (cert_dir / (cert + ".key")).string(),
                                         "-CAfile",
                                         (trust_dir / "ca.pem").string(),
                                         "-Verify",
                                         "1",
                                         "-verify_return_error",
                                         "-www"};
        if (!version_flag.empty()) {
            argv.push_back(version_flag);
        }
        s.child = std::make_unique<Child>(argv, tmp_->path());
        EXPECT_TRUE(wait_for_port(s.port, std::chrono::seconds(10))) << s.child->err();
        return s;
    }

    static ClientConfig client_config(std::uint16_t port, const std::string& cert = "c1") {
        ClientConfig c;
        c.credentials = Credentials::from_dir(pki_.dir, cert);
        c.connect = "127.0.0.1:" + std::to_string(port);
        c.message = unescape("GET / HTTP/1.0\\r\\n\\r\\n");
        c.timeout = std::chrono::seconds(10);
        return c;
    }
};

struct GetCase {
    const char* name;
    const char* server_cert;
    const char* client_cert;
    const char* version_flag;
    const char* expect_version;
};

class ClientGets : public ClientInterop, public ::testing::WithParamInterface<GetCase> {};

TEST_P(ClientGets, HttpGetThroughOpensslWww) {
    const auto server =
        s_server(pki_.dir, GetParam().server_cert, pki_.dir, GetParam().version_flag);
    const ClientResult r = run_client(client_config(server.port, GetParam().client_cert));
    ASSERT_TRUE(r.ok) << r.error << "\n" << server.child->err();
    EXPECT_EQ(r.version, GetParam().expect_version);
    EXPECT_EQ(r.received.rfind("HTTP/1.0 200 ok", 0), 0U) << r.received;
    // s_server -www reports the session as it saw it: same protocol and cipher.
    EXPECT_NE(r.received.find("Protocol  : " + r.version), std::string::npos) << r.received;
    EXPECT_NE(r.received.find(r.cipher), std::string::npos) << r.received;
    ASSERT_TRUE(r.server_certificate.has_value());
    EXPECT_EQ(r.server_certificate->common_name, GetParam().server_cert);
    EXPECT_TRUE(r.alert.empty());
}

INSTANTIATE_TEST_SUITE_P(
    VersionsAndKeys, ClientGets,
    ::testing::Values(GetCase{"ec_tls13", "server", "c1", "-tls1_3", "TLSv1.3"},
                      GetCase{"ec_tls12", "server", "c1", "-tls1_2", "TLSv1.2"},
                      GetCase{"rsa_tls13", "rsa-server", "rsa-client", "-tls1_3", "TLSv1.3"},
                      GetCase{"rsa_tls12", "rsa-server", "rsa-client", "-tls1_2", "TLSv1.2"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ClientInterop, ServerFromAnotherCaIsNotTrusted) {
    const auto server = s_server(pki_.other_dir, "server", pki_.dir);
    const ClientResult r = run_client(client_config(server.port));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.find("TLS handshake with 127.0.0.1:"), 0U) << r.error;
    EXPECT_NE(
        r.error.find(
            "certificate verify failed: unable to get local issuer certificate (is --ca the CA "
            "that signed the server?)"),
        std::string::npos)
        << r.error;
    EXPECT_TRUE(r.received.empty());
}

TEST_F(ClientInterop, NameMustBeInTheServerSans) {
    const auto server = s_server(pki_.dir, "server", pki_.dir);
    auto config = client_config(server.port);
    config.servername = "wrong.example";
    ClientResult r = run_client(config);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("certificate verify failed: hostname mismatch"), std::string::npos)
        << r.error;
    EXPECT_NE(r.error.find("do not name 'wrong.example'"), std::string::npos) << r.error;

    config.servername = "localhost";  // in the default SANs
    r = run_client(config);
    EXPECT_TRUE(r.ok) << r.error;
    config.servername.clear();
    config.connect = "localhost:" + std::to_string(server.port);
    r = run_client(config);
    EXPECT_TRUE(r.ok) << r.error;
}

// The server accepts only clients of the other CA: our certificate is refused. With TLS 1.3 our
// SSL_connect succeeds first; the alert must still turn into a failure.
class DistrustedClient : public ClientInterop, public ::testing::WithParamInterface<const char*> {};

TEST_P(DistrustedClient, FailsWithTheServersAlert) {
    const auto server = s_server(pki_.dir, "server", pki_.other_dir, GetParam());
    const ClientResult r = run_client(client_config(server.port));
    EXPECT_FALSE(r.ok) << "must never report success when the server refused our certificate";
    EXPECT_EQ(r.alert, "unknown CA") << r.error;
    EXPECT_NE(r.error.find("server does not trust our certificate"), std::string::npos) << r.error;
    EXPECT_EQ(r.received.find("HTTP/1.0"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Versions, DistrustedClient, ::testing::Values("-tls1_3", "-tls1_2"),
                         [](const auto& info) { return std::string(info.param).substr(1); });

// The CLI: exit codes and messages, as a user sees them.
TEST_F(ClientInterop, CliExitCodesAndMessages) {
    const std::string bin = TCPLAB_BINARY;
    const auto server = s_server(pki_.dir, "server", pki_.dir);
    const std::string target = "localhost:" + std::to_string(server.port);
    const std::string dir = pki_.dir.string();

    auto r = run({bin, "tls", "client", "--dir", dir, "--name", "c1", "--connect", target,
                  "--message", "GET / HTTP/1.0\\r\\n\\r\\n", "--reply-wait", "0.5"},
                 tmp_->path());
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out.rfind("HTTP/1.0 200 ok", 0), 0U) << r.out;
    EXPECT_NE(r.err.find("server certificate: O = tcplab, CN = server"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("connected: TLSv1.3"), std::string::npos) << r.err;

    r = run({bin, "tls", "client", "--cert", dir + "/c1.pem", "--key", dir + "/c1.key", "--ca",
             (pki_.other_dir / "ca.pem").string(), "--connect", target},
            tmp_->path());
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("(is --ca the CA that signed the server?)"), std::string::npos) << r.err;

    r = run({bin, "tls", "client", "--dir", dir, "--name", "nobody", "--connect", target},
            tmp_->path());
    EXPECT_EQ(r.rc, 2);
    EXPECT_NE(r.err.find("nobody.pem: file not found"), std::string::npos) << r.err;

    r = run({bin, "tls", "client", "--cert", dir + "/c1.pem", "--key", dir + "/server.key", "--ca",
             dir + "/ca.pem", "--connect", target},
            tmp_->path());
    EXPECT_EQ(r.rc, 2);
    EXPECT_NE(r.err.find("does not match the certificate"), std::string::npos) << r.err;

    r = run({bin, "tls", "client", "--dir", dir, "--connect", "no-port-here"}, tmp_->path());
    EXPECT_EQ(r.rc, 2);
    EXPECT_NE(r.err.find("--connect 'no-port-here'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tcplab::tls
