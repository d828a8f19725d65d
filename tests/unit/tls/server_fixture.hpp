#pragma once
// An in-process tcplab TLS server on a free 127.0.0.1 port, stopped and joined on destruction,
// with its per-connection log lines collected for assertions.
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "tls/server.hpp"

namespace tcplab::tls::test {

class RunningServer {
public:
    explicit RunningServer(ServerConfig config) {
        config.on_connection = [this](const ConnectionLog& log) {
            const std::lock_guard lock(mutex_);
            logs_.push_back(log);
        };
        server_.emplace(std::move(config));
        thread_ = std::jthread([this](std::stop_token stop) { stats_ = server_->run(stop); });
    }
    ~RunningServer() { stop(); }
    RunningServer(const RunningServer&) = delete;
    RunningServer& operator=(const RunningServer&) = delete;

    std::uint16_t port() const { return server_->port(); }
    std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

    ServerStats stop() {
        if (thread_.joinable()) {
            thread_.request_stop();
            thread_.join();
        }
        return stats_;
    }

    std::vector<ConnectionLog> logs() {
        const std::lock_guard lock(mutex_);
        return logs_;
    }

    // Waits until `count` connections have been logged.
    std::vector<ConnectionLog> wait_for_logs(
        std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            {
                const std::lock_guard lock(mutex_);
                if (logs_.size() >= count) {
                    return logs_;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return logs();
    }

private:
    std::mutex mutex_;
    std::vector<ConnectionLog> logs_;
    std::optional<Server> server_;
    ServerStats stats_;
    std::jthread thread_;
};

inline ServerConfig server_config(const Pki& pki, const std::string& cert_name = "server") {
    ServerConfig c;
    c.credentials = Credentials::from_dir(pki.dir, cert_name);
    c.listen = "127.0.0.1:0";
    c.name_wait = std::chrono::milliseconds(200);
    c.handshake_timeout = std::chrono::seconds(5);
    c.idle_timeout = std::chrono::seconds(5);
    return c;
}

}  // namespace tcplab::tls::test
