#include "tests/integration/netem/topology_test_util.hpp"

#include <future>
#include <thread>

namespace tcplab::netem::testing {

namespace {

sockaddr_storage make_addr(const std::string& addr, std::uint16_t port, socklen_t& len) {
    sockaddr_storage ss{};
    if (addr.find(':') != std::string::npos) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        ::inet_pton(AF_INET6, addr.c_str(), &a->sin6_addr);
        len = sizeof(sockaddr_in6);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        ::inet_pton(AF_INET, addr.c_str(), &a->sin_addr);
        len = sizeof(sockaddr_in);
    }
    return ss;
}

bool wait_readable(int fd, int timeout_ms) {
    pollfd pfd{fd, POLLIN, 0};
    return ::poll(&pfd, 1, timeout_ms) > 0;
}

}  // namespace

std::string tcp_roundtrip(const std::string& client_ns, const std::string& server_ns,
                          const std::string& server_addr, std::uint16_t port,
                          const std::string& payload, int timeout_ms) {
    // The listener is created inside the server namespace before the client starts.
    std::promise<void> listening;
    auto ready = listening.get_future();
    std::string received;
    std::exception_ptr server_error;
    std::thread server([&] {
        try {
            tcplab::run_in_netns(server_ns, [&] {
                socklen_t len = 0;
                const auto ss = make_addr(server_addr, port, len);
                UniqueFd l(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
                const int one = 1;
                ::setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                if (::bind(l.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
                    ::listen(l.get(), 4) != 0) {
                    throw SystemError(std::string("listen: ") + std::strerror(errno));
                }
                listening.set_value();
                if (!wait_readable(l.get(), timeout_ms)) return;
                UniqueFd c(::accept(l.get(), nullptr, nullptr));
                std::array<char, 4096> buf{};
                while (c && wait_readable(c.get(), timeout_ms)) {
                    const ssize_t n = ::recv(c.get(), buf.data(), buf.size(), 0);
                    if (n <= 0) break;
                    received.append(buf.data(), static_cast<std::size_t>(n));
                }
            });
        } catch (...) {
            server_error = std::current_exception();
            try {
                listening.set_value();
            } catch (...) {
            }
        }
    });
    ready.wait();
    if (!server_error) {
        tcplab::run_in_netns(client_ns, [&] {
            socklen_t len = 0;
            const auto ss = make_addr(server_addr, port, len);
            UniqueFd s(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
            timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
            ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&ss), len) == 0) {
                (void)::send(s.get(), payload.data(), payload.size(), MSG_NOSIGNAL);
            }
        });  // closing sends FIN: the server's loop ends
    }
    server.join();
    if (server_error) std::rethrow_exception(server_error);
    return received;
}

}  // namespace tcplab::netem::testing
