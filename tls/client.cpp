#include "tls/client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "base/errors.hpp"
#include "tls/detail/hints.hpp"
#include "tls/detail/io.hpp"
#include "tls/sha256.hpp"

namespace tcplab::tls {

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kPatternSize = 1024 * 1024;
constexpr std::size_t kMaxKept = 1024 * 1024;

void set_cork(int fd, bool on) {
    const int value = on ? 1 : 0;
    ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

bool is_ip_literal(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The reason a connection failed, preferring what the server told us (an alert) and what our
// own verification found over OpenSSL's generic reason.
std::string explain(Tls& tls, IoStatus status, const std::string& verify_name,
                    ClientResult& result) {
    if (tls.alert_received() >= 0) {
        result.alert = alert_name(tls.alert_received());
        return describe_alert_from_server(tls.alert_received());
    }
    const long verify = SSL_get_verify_result(tls.ssl());
    if (verify != X509_V_OK) {
        return describe_server_verify_error(verify, verify_name);
    }
    if (status == IoStatus::timeout) {
        return "timed out";
    }
    if (status == IoStatus::eof) {
        return "server closed the connection" +
               (tls.error().empty() ? std::string() : " (" + tls.error() + ")");
    }
    return tls.error().empty() ? to_string(status) : tls.error();
}

// Parses "bytes=N sha256=HEX ..." and compares with what we sent.
bool sink_matches(const std::string& reply, std::uint64_t bytes, const std::string& sha) {
    return reply.find("bytes=" + std::to_string(bytes) + " ") != std::string::npos &&
           reply.find("sha256=" + sha) != std::string::npos;
}

}  // namespace

std::string unescape(std::string_view text, std::string_view flag) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (i + 1 >= text.size()) {
            throw UsageError(std::string(flag) + ": trailing backslash");
        }
        const char c = text[++i];
        switch (c) {
            case 'r':
                out += '\r';
                break;
            case 'n':
                out += '\n';
                break;
            case 't':
                out += '\t';
                break;
            case '0':
                out += '\0';
                break;
            case '\\':
                out += '\\';
                break;
            case 'x': {
                const auto hexval = [&](char h) -> int {
                    if (h >= '0' && h <= '9') return h - '0';
                    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
                    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
                    return -1;
                };
                if (i + 2 >= text.size() + 0 || hexval(text[i + 1]) < 0 ||
                    hexval(text[i + 2]) < 0) {
                    throw UsageError(std::string(flag) + ": \\x needs two hex digits at offset " +
                                     std::to_string(i - 1));
                }
                out += static_cast<char>(hexval(text[i + 1]) * 16 + hexval(text[i + 2]));
                i += 2;
                break;
            }
            default:
                throw UsageError(std::string(flag) + ": unknown escape \\" + c + " at offset " +
                                 std::to_string(i - 1));
        }
    }
    return out;
}

namespace {

// Check the name the user meant: an IP literal against IP SANs, a name against DNS SANs (and send
// it as SNI; SNI never carries an IP address).
void expect_server_name(Tls& tls, const std::string& verify_name) {
    if (is_ip_literal(verify_name)) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls.ssl()), verify_name.c_str()) != 1) {
            throw_openssl("setting the expected IP address " + verify_name);
        }
    } else if (SSL_set1_host(tls.ssl(), verify_name.c_str()) != 1 ||
               SSL_set_tlsext_host_name(tls.ssl(), verify_name.c_str()) != 1) {
        throw_openssl("setting the expected host name " + verify_name);
    }
}

void record_handshake(Tls& tls, Clock::time_point start, ClientResult& result) {
    result.handshake_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    result.version = tls.version();
    result.cipher = tls.cipher();
    if (X509* peer = SSL_get0_peer_certificate(tls.ssl())) {
        result.server_certificate = summarize(*peer);
    }
}

// Streams config.send_bytes of random data (hashing it), then half-closes with close_notify so
// the sink answers with its count. bulk_start is when the first byte was handed to TLS.
IoStatus send_bulk(Tls& tls, const ClientConfig& config, ClientResult& result,
                   Clock::time_point& bulk_start) {
    // Corked, the kernel sends only full segments whatever the record sizes (16 KiB + 22
    // bytes): fewer packets, and segment boundaries that depend less on timing, so a
    // scenario's seeded faults hit the same segments more often. Uncorked (flushed) before
    // close_notify.
    set_cork(tls.fd(), true);
    std::vector<unsigned char> pattern(kPatternSize);
    if (RAND_bytes(pattern.data(), static_cast<int>(pattern.size())) != 1) {
        throw_openssl("generating test data");
    }
    Sha256 sha;
    bulk_start = Clock::now();
    IoStatus status = IoStatus::ok;
    std::uint64_t left = config.send_bytes;
    std::size_t offset = 0;
    while (left > 0 && status == IoStatus::ok) {
        const std::size_t n = static_cast<std::size_t>(
            std::min<std::uint64_t>({left, kChunk, kPatternSize - offset}));
        sha.update(pattern.data() + offset, n);
        status = tls.write_all(pattern.data() + offset, n, Clock::now() + config.timeout);
        if (status == IoStatus::ok) {
            result.bytes_sent += n;
            left -= n;
            offset = (offset + n) % kPatternSize;
        }
    }
    result.sha256 = sha.hex_digest();
    set_cork(tls.fd(), false);
    if (status == IoStatus::ok) {
        // Half-close: close_notify says "that was everything"; the sink answers with its count.
        const int rc = SSL_shutdown(tls.ssl());
        if (rc < 0) {
            status = tls.shutdown(Clock::now() + config.timeout, false);
        }
    }
    return status;
}

// Reads until the server closes (or, with reply_wait, goes quiet after answering: then we close,
// setting we_closed). This is also where a TLS 1.3 server's rejection of our certificate (sent
// after our handshake "completed") shows up. Returns the final status.
IoStatus read_replies(Tls& tls, const ClientConfig& config, IoStatus status, ClientResult& result,
                      bool& we_closed) {
    std::vector<unsigned char> buffer(kChunk);
    if (status != IoStatus::ok) {
        // A write failed (often a reset after the server refused us): look for its alert.
        std::size_t n = 0;
        tls.read(buffer.data(), buffer.size(), n, Clock::now() + std::chrono::milliseconds(500));
    }
    while (status == IoStatus::ok) {
        std::size_t n = 0;
        const bool replying = config.reply_wait.count() > 0 && result.bytes_received > 0;
        status = tls.read(buffer.data(), buffer.size(), n,
                          Clock::now() + (replying ? std::min(config.reply_wait, config.timeout)
                                                   : config.timeout));
        if (status == IoStatus::timeout && replying) {
            // The server answered and went quiet: we end the session, cleanly.
            we_closed =
                tls.shutdown(Clock::now() + std::chrono::milliseconds(500), false) == IoStatus::ok;
            return we_closed ? IoStatus::closed : status;
        }
        if (status != IoStatus::ok) {
            break;
        }
        const std::string_view text(reinterpret_cast<const char*>(buffer.data()), n);
        result.bytes_received += n;
        if (config.send_bytes > 0) {
            result.sink_reply.append(text);
        } else if (config.on_data) {
            config.on_data(text);
        } else if (result.received.size() < kMaxKept) {
            result.received.append(text.substr(0, kMaxKept - result.received.size()));
        }
    }
    return status;
}

// Trims the sink's reply and compares its count and digest with what we sent.
void check_sink_reply(const ClientConfig& config, ClientResult& result) {
    while (!result.sink_reply.empty() &&
           (result.sink_reply.back() == '\n' || result.sink_reply.back() == '\r')) {
        result.sink_reply.pop_back();
    }
    result.sink_verified = sink_matches(result.sink_reply, config.send_bytes, result.sha256);
    if (!result.sink_verified) {
        result.ok = false;
        result.error = result.sink_reply.empty()
                           ? "the server sent no sink reply (is it running --mode sink?)"
                           : "the sink's reply does not match what we sent: " + result.sink_reply;
    }
}

}  // namespace

ClientResult run_client(const ClientConfig& config) {
    ClientResult result;
    const HostPort target = HostPort::parse(config.connect, "--connect");
    const std::string verify_name = config.servername.empty() ? target.host : config.servername;
    SslCtxPtr ctx = make_client_context(config.credentials, config.tls);
    ignore_sigpipe();

    const auto start = Clock::now();
    UniqueFd fd;
    try {
        fd = connect_to(target, start + config.timeout, config.send_buffer);
    } catch (const SystemError& e) {
        result.error = e.what();
        return result;
    }
    Tls tls(*ctx, std::move(fd), -1);
    expect_server_name(tls, verify_name);
    IoStatus status = tls.connect(start + config.timeout);
    if (status != IoStatus::ok) {
        result.error = "TLS handshake with " + config.connect +
                       " failed: " + explain(tls, status, verify_name, result);
        return result;
    }
    record_handshake(tls, start, result);

    // In send_bytes mode the sink counts every byte, so only the bulk data is sent.
    std::string first;
    if (config.send_bytes == 0) {
        first = (config.name.empty() ? "" : config.name + "\n") + config.message;
    }
    if (!first.empty()) {
        status = tls.write_all(first.data(), first.size(), Clock::now() + config.timeout);
        result.bytes_sent += status == IoStatus::ok ? first.size() : 0;
    }
    Clock::time_point bulk_start{};
    if (status == IoStatus::ok && config.send_bytes > 0) {
        status = send_bulk(tls, config, result, bulk_start);
    }

    const bool wrote_ok = status == IoStatus::ok;
    bool we_closed = false;
    status = read_replies(tls, config, status, result, we_closed);
    if (config.send_bytes > 0 && bulk_start != Clock::time_point{}) {
        result.seconds = std::chrono::duration<double>(Clock::now() - bulk_start).count();
        result.mbytes_per_s =
            result.seconds > 0
                ? static_cast<double>(result.bytes_sent - first.size()) / 1e6 / result.seconds
                : 0;
    }

    if (status == IoStatus::closed) {
        result.clean_close = true;
        if (config.send_bytes == 0 && !we_closed) {
            tls.shutdown(Clock::now() + std::chrono::milliseconds(500),
                         false);  // answer close_notify
        }
        result.ok = true;
    } else if (status == IoStatus::eof && tls.alert_received() < 0 && wrote_ok) {
        // Data arrived but the server skipped close_notify (openssl s_server -www does this):
        // what we got may be truncated, so say so, but it is not a handshake failure.
        result.ok = true;
        result.error.clear();
    } else {
        result.error = explain(tls, status, verify_name, result);
        return result;
    }
    if (config.send_bytes > 0) {
        check_sink_reply(config, result);
    }
    return result;
}

}  // namespace tcplab::tls
