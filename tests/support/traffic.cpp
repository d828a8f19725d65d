#include "tests/support/traffic.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "base/errors.hpp"
#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "tests/support/socket_address.hpp"

namespace tcplab::test_support {

SocketAddress make_socket_address(const std::string& ip, std::uint16_t port) {
    SocketAddress out;
    if (ip.find(':') == std::string::npos) {
        auto* a = reinterpret_cast<sockaddr_in*>(&out.storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        ::inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
        out.length = sizeof(sockaddr_in);
    } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&out.storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        ::inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
        out.length = sizeof(sockaddr_in6);
    }
    return out;
}

void set_timeout(int fd, double seconds) {
    timeval tv{static_cast<time_t>(seconds),
               static_cast<suseconds_t>((seconds - static_cast<long>(seconds)) * 1e6)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

namespace {

std::uint16_t icmp_checksum(const std::uint8_t* data, std::size_t len) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < len; i += 2) sum += (data[i] << 8) | data[i + 1];
    if (len % 2 != 0) sum += data[len - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

bool wait_readable(int fd, int timeout_ms) {
    pollfd pfd{fd, POLLIN, 0};
    return ::poll(&pfd, 1, timeout_ms) > 0;
}

}  // namespace

std::optional<EchoReply> ping_once(const std::string& ns, const std::string& dst, std::uint16_t seq,
                                   int timeout_ms) {
    std::optional<EchoReply> result;
    tcplab::run_in_netns(ns, [&] {
        const bool v6 = dst.find(':') != std::string::npos;
        UniqueFd fd(
            ::socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC,
                     v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP)));
        if (!fd) throw SystemError(std::string("raw socket: ") + std::strerror(errno));
        const SocketAddress to = make_socket_address(dst, 0);
        const std::uint16_t ident = static_cast<std::uint16_t>(::getpid() ^ 0x7c7c);
        std::array<std::uint8_t, 64> req{};
        req[0] = v6 ? 128 : 8;  // echo request
        req[4] = ident >> 8;
        req[5] = ident & 0xff;
        req[6] = seq >> 8;
        req[7] = seq & 0xff;
        std::memcpy(req.data() + 8, "tcplab-ping", 11);
        if (!v6) {  // the kernel fills in the ICMPv6 checksum itself
            const auto sum = icmp_checksum(req.data(), req.size());
            req[2] = sum >> 8;
            req[3] = sum & 0xff;
        }
        const auto start = Clock::now();
        if (::sendto(fd.get(), req.data(), req.size(), 0, to.get(), to.length) < 0) {
            if (errno == ENETUNREACH || errno == EHOSTUNREACH) return;  // no route: no reply
            throw SystemError(std::string("sendto ") + dst + ": " + std::strerror(errno));
        }
        const auto deadline = start + std::chrono::milliseconds(timeout_ms);
        while (Clock::now() < deadline) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (!wait_readable(fd.get(), static_cast<int>(std::max<long>(1, left.count())))) {
                continue;
            }
            std::array<std::uint8_t, 2048> buf{};
            const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
            if (n <= 0) continue;
            std::size_t off = 0;
            int ttl = -1;
            if (!v6) {  // IPv4 raw sockets deliver the IP header too
                off = static_cast<std::size_t>(buf[0] & 0x0f) * 4;
                ttl = buf[8];
            }
            if (static_cast<std::size_t>(n) < off + 8) continue;
            const std::uint8_t* icmp = buf.data() + off;
            const bool reply = icmp[0] == (v6 ? 129 : 0);
            const std::uint16_t rid = static_cast<std::uint16_t>((icmp[4] << 8) | icmp[5]);
            const std::uint16_t rseq = static_cast<std::uint16_t>((icmp[6] << 8) | icmp[7]);
            if (reply && rid == ident && rseq == seq) {
                EchoReply r;
                r.ttl = ttl;
                r.rtt_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
                result = r;
                return;
            }
        }
    });
    return result;
}

std::string tcp_roundtrip(const std::string& client_ns, const std::string& server_ns,
                          const std::string& server_addr, std::uint16_t port,
                          const std::string& payload, int timeout_ms) {
    // The listener is created inside the server namespace before the client starts.
    std::promise<void> listening;
    auto ready = listening.get_future();
    std::string received;
    std::exception_ptr server_error;
    const SocketAddress address = make_socket_address(server_addr, port);
    std::thread server([&] {
        try {
            tcplab::run_in_netns(server_ns, [&] {
                UniqueFd l(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
                const int one = 1;
                ::setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                if (::bind(l.get(), address.get(), address.length) != 0 ||
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
            UniqueFd s(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
            timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
            ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            if (::connect(s.get(), address.get(), address.length) == 0) {
                (void)::send(s.get(), payload.data(), payload.size(), MSG_NOSIGNAL);
            }
        });  // closing sends FIN: the server's loop ends
    }
    server.join();
    if (server_error) std::rethrow_exception(server_error);
    return received;
}

BulkResult tcp_bulk(const std::string& client_ns, const std::string& server_ns,
                    const std::string& server_ip, std::uint16_t port, std::uint64_t bytes,
                    double timeout_s) {
    const SocketAddress a = make_socket_address(server_ip, port);
    std::promise<void> listening;
    auto server = std::async(std::launch::async, [&] {
        tcplab::ScopedNetns inside(server_ns);
        UniqueFd ls(::socket(a.family(), SOCK_STREAM, 0));
        const int one = 1;
        ::setsockopt(ls.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(ls.get(), a.get(), a.length) != 0 || ::listen(ls.get(), 1) != 0) {
            throw std::runtime_error("tcp listen failed");
        }
        listening.set_value();
        set_timeout(ls.get(), timeout_s);
        UniqueFd c(::accept(ls.get(), nullptr, nullptr));
        if (!c) {
            throw std::runtime_error("tcp accept timed out");
        }
        set_timeout(c.get(), timeout_s);
        BulkResult r;
        std::vector<std::uint8_t> buf(1 << 16);
        Clock::time_point first{}, last{};
        while (true) {
            const ssize_t n = ::recv(c.get(), buf.data(), buf.size(), 0);
            if (n <= 0) {
                break;
            }
            last = Clock::now();
            if (r.bytes == 0) {
                first = last;
            }
            r.bytes += static_cast<std::uint64_t>(n);
        }
        r.seconds = std::chrono::duration<double>(last - first).count();
        return r;
    });
    listening.get_future().wait();
    tcplab::run_in_netns(client_ns, [&] {
        UniqueFd fd(::socket(a.family(), SOCK_STREAM, 0));
        set_timeout(fd.get(), timeout_s);
        if (::connect(fd.get(), a.get(), a.length) != 0) {
            throw std::runtime_error(std::string("tcp connect: ") + std::strerror(errno));
        }
        std::vector<std::uint8_t> buf(1 << 16, 0xab);
        std::uint64_t left = bytes;
        while (left > 0) {
            const ssize_t n =
                ::send(fd.get(), buf.data(), std::min<std::uint64_t>(left, buf.size()), 0);
            if (n <= 0) {
                throw std::runtime_error(std::string("tcp send: ") + std::strerror(errno));
            }
            left -= static_cast<std::uint64_t>(n);
        }
        ::shutdown(fd.get(), SHUT_WR);
        char sink[256];
        while (::recv(fd.get(), sink, sizeof sink, 0) > 0) {
        }
    });
    return server.get();
}

std::future<std::vector<std::uint32_t>> udp_receiver(const std::string& ns, const std::string& ip,
                                                     std::uint16_t port, std::promise<void>& ready,
                                                     double idle_s, double deadline_s) {
    return std::async(std::launch::async, [ns, ip, port, &ready, idle_s, deadline_s] {
        std::vector<std::uint32_t> got;
        tcplab::ScopedNetns inside(ns);
        UniqueFd fd(::socket(AF_INET, SOCK_DGRAM, 0));
        const int big = 4 << 20;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
        const SocketAddress a = make_socket_address(ip, port);
        if (::bind(fd.get(), a.get(), a.length) != 0) {
            throw std::runtime_error("bind udp receiver");
        }
        ready.set_value();
        set_timeout(fd.get(), idle_s);
        const auto end = Clock::now() + std::chrono::duration<double>(deadline_s);
        std::uint8_t buf[2048];
        while (Clock::now() < end) {
            const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
            if (n < 0) {
                if (!got.empty()) {
                    break;  // idle after traffic: done
                }
                continue;
            }
            if (n >= 4) {
                std::uint32_t seq = 0;
                std::memcpy(&seq, buf, 4);
                got.push_back(seq);
            }
        }
        return got;
    });
}

void udp_send(const std::string& ns, const std::string& dst, std::uint16_t port,
              std::uint32_t count, std::size_t size, std::chrono::microseconds gap) {
    tcplab::run_in_netns(ns, [&] {
        UniqueFd fd(::socket(AF_INET, SOCK_DGRAM, 0));
        const SocketAddress a = make_socket_address(dst, port);
        std::vector<std::uint8_t> buf(size, 0x5a);
        for (std::uint32_t i = 0; i < count; ++i) {
            std::memcpy(buf.data(), &i, 4);
            ::sendto(fd.get(), buf.data(), buf.size(), 0, a.get(), a.length);
            std::this_thread::sleep_for(gap);
        }
    });
}

}  // namespace tcplab::test_support
