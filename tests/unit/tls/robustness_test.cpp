// The server under hostile and heavy load: plaintext garbage, a client that says nothing, one
// that stalls mid-handshake, slots held by silent clients, 200 concurrent clients — well-behaved
// clients keep being served, and the process leaks no descriptors. Plus bulk transfer with
// SHA-256 verification, graceful stop, and the CLI's SIGTERM handling.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <regex>

#include "server_fixture.hpp"
#include "tls/client.hpp"

namespace tcplab::tls {
namespace {

namespace fs = std::filesystem;
using namespace test;
using namespace std::chrono_literals;

// A raw TCP connection to 127.0.0.1:port (closed on destruction).
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port)
        : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in.sin_port = htons(port);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&in), sizeof in) == 0;
        timeval tv{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~RawConnection() { ::close(fd_); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    bool connected() const { return connected_; }
    void send(const std::string& bytes) {
        ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(bytes.size()));
    }
    // Reads until the server closes (or 10 s); returns what arrived.
    std::string read_until_closed() {
        std::string out;
        char buf[4096];
        for (;;) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = n == 0 || errno == ECONNRESET;
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    bool closed_by_server() const { return closed_; }

private:
    int fd_;
    bool connected_ = false;
    bool closed_ = false;
};

class Robustness : public PkiSuite<false, false> {
protected:
    static ClientConfig client(std::uint16_t port, const std::string& name = "c1") {
        ClientConfig c;
        c.credentials = Credentials::from_dir(pki_.dir, name);
        c.connect = "127.0.0.1:" + std::to_string(port);
        c.name = name;
        c.timeout = 30s;
        return c;
    }

    static ServerConfig config() {
        auto c = server_config(pki_);
        c.name_wait = 2s;  // our client sends its name at once; no need to cut it short
        c.handshake_timeout = 1500ms;
        return c;
    }
};

TEST_F(Robustness, GreetingWithNameEndToEnd) {
    RunningServer server(config());
    const ClientResult r = run_client(client(server.port()));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.received, kGreeting);
    EXPECT_TRUE(r.clean_close) << "the server ends with close_notify";
    const auto logs = server.wait_for_logs(1);
    ASSERT_EQ(logs.size(), 1U);
    EXPECT_EQ(logs[0].client_name, "c1");
    EXPECT_NE(format_log(logs[0]).find("; Client name: c1"), std::string::npos)
        << format_log(logs[0]);
}

TEST_F(Robustness, PlaintextGarbageIsRefusedAndServingContinues) {
    RunningServer server(config());
    RawConnection raw(server.port());
    ASSERT_TRUE(raw.connected());
    raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    raw.read_until_closed();
    EXPECT_TRUE(raw.closed_by_server());
    const ClientResult r = run_client(client(server.port()));
    EXPECT_TRUE(r.ok) << r.error;
    const auto logs = server.wait_for_logs(2);
    ASSERT_EQ(logs.size(), 2U);
    const auto& refused = logs[0].ok ? logs[1] : logs[0];
    EXPECT_FALSE(refused.ok);
    EXPECT_NE(refused.error.find("refused"), std::string::npos) << refused.error;
}

TEST_F(Robustness, SilentAndStalledClientsTimeOutWhileOthersAreServed) {
    RunningServer server(config());
    RawConnection silent(server.port());
    RawConnection stalled(server.port());
    // A TLS record header announcing a 512-byte handshake message, then only 5 bytes of it.
    stalled.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03", 10));
    const auto started = std::chrono::steady_clock::now();
    // Served while both hold their connections.
    const ClientResult r = run_client(client(server.port()));
    EXPECT_TRUE(r.ok) << r.error;
    silent.read_until_closed();
    stalled.read_until_closed();
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(silent.closed_by_server());
    EXPECT_TRUE(stalled.closed_by_server());
    EXPECT_LT(waited, 8s) << "closed by the 1.5 s handshake timeout, not by the client's patience";
    const auto stats = server.stop();
    EXPECT_EQ(stats.timed_out, 2U);
    EXPECT_EQ(stats.completed, 1U);
}

TEST_F(Robustness, SlotsHeldBySilentClientsAreFreedByTheHandshakeTimeout) {
    auto c = config();
    c.max_conns = 3;
    RunningServer server(c);
    std::vector<std::unique_ptr<RawConnection>> squatters;
    for (int i = 0; i < 3; ++i) {
        squatters.push_back(std::make_unique<RawConnection>(server.port()));
    }
    const auto started = std::chrono::steady_clock::now();
    const ClientResult r = run_client(client(server.port()));  // waits in the backlog meanwhile
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_GE(waited, 1s) << "a slot only frees once a squatter times out";
    EXPECT_LT(waited, 10s);
}

TEST_F(Robustness, TwoHundredConcurrentClientsAndNoLeakedDescriptors) {
    const std::size_t fds_before = open_fd_count();
    {
        auto c = config();
        c.max_conns = 256;
        c.handshake_timeout =
            60s;  // the 2-core test host may be busy: judge correctness, not speed
        RunningServer server(c);
        constexpr int kClients = 200;
        std::vector<std::future<ClientResult>> results;
        for (int i = 0; i < kClients; ++i) {
            results.push_back(std::async(std::launch::async, [port = server.port()] {
                auto cfg = client(port);
                cfg.timeout = 120s;
                return run_client(cfg);
            }));
        }
        // Garbage and a silent client in the middle of it all.
        RawConnection garbage(server.port());
        garbage.send(std::string(300, '\x00'));
        int ok = 0;
        for (auto& f : results) {
            const ClientResult r = f.get();
            ok += r.ok ? 1 : 0;
            EXPECT_TRUE(r.ok) << r.error;
        }
        EXPECT_EQ(ok, kClients);
        garbage.read_until_closed();
        const auto stats = server.stop();
        EXPECT_EQ(stats.completed, static_cast<std::uint64_t>(kClients));
        EXPECT_EQ(stats.accepted, static_cast<std::uint64_t>(kClients + 1));
    }
    EXPECT_EQ(open_fd_count(), fds_before) << "every socket and file closed";
}

TEST_F(Robustness, SinkVerifiesBulkTransferBothVersions) {
    for (const auto version : {TlsVersion::tls13, TlsVersion::tls12}) {
        auto c = config();
        c.mode = ServerMode::sink;
        RunningServer server(c);
        auto cfg = client(server.port());
        cfg.name.clear();
        cfg.send_bytes = 20'000'000 + 12345;  // not a multiple of any buffer size
        cfg.tls.max_version = version;
        const ClientResult r = run_client(cfg);
        ASSERT_TRUE(r.ok) << r.error;
        EXPECT_TRUE(r.sink_verified) << r.sink_reply;
        // Fixed-width timing, so the reply is as long in every run (scenario reproducibility).
        EXPECT_TRUE(std::regex_search(
            r.sink_reply, std::regex(" seconds=\\d{6}\\.\\d{6} mbytes_per_s=\\d{7}\\.\\d{3}$")))
            << r.sink_reply;
        EXPECT_EQ(r.bytes_sent, cfg.send_bytes);
        EXPECT_GT(r.mbytes_per_s, 0.0);
        const auto logs = server.wait_for_logs(1);
        ASSERT_EQ(logs.size(), 1U);
        EXPECT_EQ(logs[0].bytes_in, cfg.send_bytes);
        EXPECT_EQ(logs[0].sha256, r.sha256);
        EXPECT_EQ(r.sha256.size(), 64U);
    }
}

TEST_F(Robustness, EchoReturnsTheMessage) {
    auto c = config();
    c.mode = ServerMode::echo;
    RunningServer server(c);
    auto cfg = client(server.port());
    cfg.name.clear();
    cfg.message = unescape("line one\\r\\nline two\\x21\\n");
    cfg.reply_wait = 300ms;
    const ClientResult r = run_client(cfg);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.received, "line one\r\nline two!\n");
}

TEST_F(Robustness, Tls13RejectionAfterClientHandshakeIsAFailure) {
    RunningServer server(config());
    // Our client trusts the server (right --ca) but holds a certificate from another CA.
    auto cfg = client(server.port());
    cfg.credentials.cert = pki_.other_dir / "c1.pem";
    cfg.credentials.key = pki_.other_dir / "c1.key";
    const ClientResult r = run_client(cfg);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.version, "TLSv1.3") << "our side of the handshake did complete";
    EXPECT_EQ(r.alert, "unknown CA");
    EXPECT_TRUE(r.received.empty());
}

TEST_F(Robustness, GracefulStopClosesIdleConnectionsWithCloseNotify) {
    auto c = config();
    c.mode = ServerMode::echo;
    c.idle_timeout = 60s;
    auto server = std::make_unique<RunningServer>(c);
    auto cfg = client(server->port());
    cfg.name.clear();
    cfg.message = "x";
    auto pending = std::async(std::launch::async, [cfg] { return run_client(cfg); });
    // Give the client time to connect and get its "x" echoed; it then waits for more.
    std::this_thread::sleep_for(500ms);
    const auto started = std::chrono::steady_clock::now();
    server->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    const ClientResult r = pending.get();
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.clean_close);
    EXPECT_EQ(r.received, "x");
}

TEST_F(Robustness, CliServerStopsOnSigterm) {
    const std::uint16_t port = free_port();
    Child server({TCPLAB_BINARY, "tls", "server", "--dir", pki_.dir.string(), "--listen",
                  "127.0.0.1:" + std::to_string(port), "--name-wait", "0.2"},
                 tmp_->path());
    ASSERT_TRUE(wait_for_port(port, 10s)) << server.err();
    const auto r = run({TCPLAB_BINARY, "tls", "client", "--dir", pki_.dir.string(), "--name", "c1",
                        "--connect", "127.0.0.1:" + std::to_string(port)},
                       tmp_->path());
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out, kGreeting);
    ::kill(server.pid(), SIGTERM);
    EXPECT_EQ(server.wait(10s), 0) << server.err();
    EXPECT_NE(server.out().find("Certificate of client 127.0.0.1:"), std::string::npos)
        << server.out();
    EXPECT_NE(server.out().find("Client name: c1"), std::string::npos) << server.out();
    EXPECT_NE(server.err().find("stopped; 2 accepted, 1 completed"), std::string::npos)
        << server.err();
}

}  // namespace
}  // namespace tcplab::tls
