#include "scenario/detail/traffic_kernel_bulk.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "tls/sha256.hpp"

namespace tcplab::scenario {

namespace {

using Clock = std::chrono::steady_clock;

// splitmix64: a reproducible payload for a seed, cheap enough for gigabytes.
class PayloadStream {
public:
    explicit PayloadStream(std::uint64_t seed) : state_(seed) {}
    void fill(std::uint8_t* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            if (used_ == 8) {
                std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
                word_ = z ^ (z >> 31);
                used_ = 0;
            }
            out[i] = static_cast<std::uint8_t>(word_ >> (8 * used_++));
        }
    }

private:
    std::uint64_t state_;
    std::uint64_t word_ = 0;
    int used_ = 8;
};

socklen_t to_sockaddr(const packet::Endpoint& ep, sockaddr_storage& ss) {
    std::memset(&ss, 0, sizeof ss);
    if (ep.address.is_v4()) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(ep.port);
        std::memcpy(&sin->sin_addr, ep.address.bytes.data(), 4);
        return sizeof(sockaddr_in);
    }
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(ep.port);
    std::memcpy(&sin6->sin6_addr, ep.address.bytes.data(), 16);
    return sizeof(sockaddr_in6);
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Waits until fd is ready for `events`, the deadline passes or `cancel` is set. False unless ready.
bool wait_for(int fd, short events, Clock::time_point deadline,
              const std::atomic<bool>* cancel = nullptr) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 || (cancel != nullptr && cancel->load())) {
            return false;
        }
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100)));
        if (rc > 0) {
            return true;
        }
        if (rc < 0 && errno != EINTR) {
            return false;
        }
    }
}

UniqueFd make_socket(const packet::Endpoint& ep) {
    UniqueFd fd(::socket(ep.address.is_v4() ? AF_INET : AF_INET6,
                         SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw SystemError(errno_text("socket"));
    }
    return fd;
}

struct ServerOutcome {
    std::uint64_t received = 0;
    std::string sha256;
    std::string error;
};

// Accepts one connection, hashes everything until EOF, replies with the hex digest.
// `cancel` is set when the client gave up, so the server does not sit out the whole deadline.
ServerOutcome serve_one(int listener, Clock::time_point deadline, const std::atomic<bool>& cancel,
                        bool reply_digest) {
    ServerOutcome out;
    if (!wait_for(listener, POLLIN, deadline, &cancel)) {
        out.error = "server: no connection before the deadline";
        return out;
    }
    UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!conn) {
        out.error = errno_text("server: accept");
        return out;
    }
    tls::Sha256 sha;
    std::vector<std::uint8_t> buf(256 * 1024);
    for (;;) {
        if (!wait_for(conn.get(), POLLIN, deadline, &cancel)) {
            out.error =
                "server: timed out after receiving " + std::to_string(out.received) + " bytes";
            return out;
        }
        const ssize_t n = ::recv(conn.get(), buf.data(), buf.size(), 0);
        if (n == 0) {
            break;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            out.error = errno_text("server: recv");
            return out;
        }
        sha.update(buf.data(), static_cast<std::size_t>(n));
        out.received += static_cast<std::uint64_t>(n);
    }
    out.sha256 = sha.hex_digest();
    std::string reply = reply_digest ? out.sha256 + "\n" : "";
    std::size_t off = 0;
    while (off < reply.size()) {
        if (!wait_for(conn.get(), POLLOUT, deadline)) {
            out.error = "server: timed out sending the digest";
            return out;
        }
        const ssize_t n = ::send(conn.get(), reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            out.error = errno_text("server: send");
            return out;
        }
        off += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    ::shutdown(conn.get(), SHUT_WR);
    // Wait for the client's close so our FIN is acknowledged before the socket goes away.
    while (wait_for(conn.get(), POLLIN, deadline) &&
           ::recv(conn.get(), buf.data(), buf.size(), 0) > 0) {
    }
    return out;
}

void run_client(const KernelBulkOptions& options, Clock::time_point deadline,
                KernelBulkResult& result) {
    UniqueFd fd = make_socket(options.server);
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(options.server, ss);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
        result.error = errno_text("client: connect");
        return;
    }
    if (!wait_for(fd.get(), POLLOUT, deadline)) {
        result.error = "client: connect timed out";
        return;
    }
    int soerr = 0;
    socklen_t soerr_len = sizeof soerr;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &soerr_len);
    if (soerr != 0) {
        result.error = std::string("client: connect: ") + std::strerror(soerr);
        return;
    }
    sockaddr_storage local{};
    socklen_t local_len = sizeof local;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &local_len);
    result.client_port =
        ntohs(local.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);

    // The fault decider names a segment by its relative seq and length, so the same seed drops the
    // same segments only if segment boundaries do not depend on timing. Corked, the kernel sends
    // only full-MSS segments; writes of exactly one MSS leave no partial segment queued that a
    // tail-loss probe could push out early. One MSS per send() also because a send() that runs out
    // of send buffer part-way pushes its partial last segment out (tcp_sendmsg's wait_for_space
    // path ignores the cork): with whole-MSS sends that happens only before the first byte is
    // copied, when there is nothing partial to push. shutdown() flushes the corked tail.
    const int cork = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_CORK, &cork, sizeof cork);
    int mss = 0;
    socklen_t mss_len = sizeof mss;
    if (::getsockopt(fd.get(), IPPROTO_TCP, TCP_MAXSEG, &mss, &mss_len) != 0 || mss <= 0) {
        mss = 1448;
    }
    PayloadStream payload(options.seed);
    tls::Sha256 sha;
    std::vector<std::uint8_t> chunk(static_cast<std::size_t>(mss) * (64 * 1024 / mss));
    std::uint64_t left = options.bytes;
    while (left > 0) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
        payload.fill(chunk.data(), n);
        sha.update(chunk.data(), n);
        std::size_t off = 0;
        while (off < n) {
            if (!wait_for(fd.get(), POLLOUT, deadline)) {
                result.error = "client: timed out after sending " +
                               std::to_string(result.bytes_sent) + " bytes";
                return;
            }
            const std::size_t one_segment = std::min(n - off, static_cast<std::size_t>(mss));
            const ssize_t sent = ::send(fd.get(), chunk.data() + off, one_segment, MSG_NOSIGNAL);
            if (sent < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    continue;
                }
                result.error = errno_text("client: send");
                return;
            }
            off += static_cast<std::size_t>(sent);
            result.bytes_sent += static_cast<std::uint64_t>(sent);
        }
        left -= n;
    }
    result.sha256_sent = sha.hex_digest();
    ::shutdown(fd.get(), SHUT_WR);
    std::string reply;
    char buf[256];
    for (;;) {
        if (!wait_for(fd.get(), POLLIN, deadline)) {
            result.error = "client: timed out waiting for the server's digest";
            return;
        }
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n == 0) {
            break;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            result.error = errno_text("client: recv");
            return;
        }
        reply.append(buf, static_cast<std::size_t>(n));
    }
    while (!reply.empty() && (reply.back() == '\n' || reply.back() == '\r')) {
        reply.pop_back();
    }
    result.sha256_received = reply;
}

}  // namespace

SinkOutcome run_with_sink(const KernelBulkOptions& options, bool reply_digest,
                          const std::function<std::string(Clock::time_point deadline)>& client) {
    SinkOutcome result;
    const auto start = Clock::now();
    const auto deadline =
        start + std::chrono::milliseconds(static_cast<long>(options.timeout_s * 1000));

    std::promise<void> listening;
    auto listening_future = listening.get_future();
    ServerOutcome server;
    std::atomic<bool> client_done{false};
    std::thread server_thread([&] {
        try {
            ScopedNetns inside(options.server_netns);
            UniqueFd listener = make_socket(options.server);
            const int one = 1;
            ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            sockaddr_storage ss{};
            const socklen_t len = to_sockaddr(options.server, ss);
            if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
                ::listen(listener.get(), 4) != 0) {
                throw SystemError(
                    errno_text(("server: bind/listen on " + options.server.to_string()).c_str()));
            }
            listening.set_value();
            server = serve_one(listener.get(), deadline, client_done, reply_digest);
        } catch (...) {
            try {
                listening.set_exception(std::current_exception());
            } catch (const std::future_error&) {
                server.error = "server failed after it started listening";
            }
        }
    });
    try {
        listening_future.get();
        run_in_netns(options.client_netns, [&] { result.client_error = client(deadline); });
    } catch (const std::exception& e) {
        result.client_error = e.what();
    }
    if (!result.client_error.empty()) {
        client_done = true;
    }
    server_thread.join();
    result.received = server.received;
    result.sha256 = server.sha256;
    result.server_error = server.error;
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
}

KernelBulkResult run_kernel_bulk(const KernelBulkOptions& options) {
    KernelBulkResult result;
    const SinkOutcome sink =
        run_with_sink(options, /*reply_digest=*/true, [&](Clock::time_point deadline) {
            run_client(options, deadline, result);
            return result.error;
        });
    result.bytes_received = sink.received;
    if (result.error.empty() && !sink.server_error.empty()) {
        result.error = sink.server_error;
    }
    if (result.error.empty() && result.sha256_received != result.sha256_sent) {
        result.error = "payload digest mismatch: sent " + result.sha256_sent + ", server got " +
                       result.sha256_received;
    }
    result.completed = result.error.empty();
    result.seconds = sink.seconds;
    return result;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
    tls::Sha256 sha;
    sha.update(bytes.data(), bytes.size());
    return sha.hex_digest();
}

}  // namespace tcplab::scenario
