// tcplab tls server|client: flag parsing and printing only; the work is in tls/server.hpp and
// tls/client.hpp.

#include <cmath>
#include <iostream>
#include <mutex>

#include "app/cli.hpp"
#include "base/errors.hpp"
#include "base/stop_signal.hpp"
#include "tls/client.hpp"
#include "tls/server.hpp"

namespace tcplab::app {

namespace {

constexpr double kMaxTlsSeconds = 86400.0 * 365;  // a server may be told to wait up to a year

// --dir D --name N, or --cert/--key/--ca (each may override the --dir default).
tls::Credentials credentials(const po::variables_map& vm, const std::string& default_name) {
    tls::Credentials c;
    if (vm.count("dir") != 0U) {
        const std::string name =
            vm.count("name") != 0U ? vm["name"].as<std::string>() : default_name;
        c = tls::Credentials::from_dir(vm["dir"].as<std::string>(), name);
    }
    if (vm.count("cert") != 0U) c.cert = vm["cert"].as<std::string>();
    if (vm.count("key") != 0U) c.key = vm["key"].as<std::string>();
    if (vm.count("ca") != 0U) c.ca = vm["ca"].as<std::string>();
    if (c.cert.empty() || c.key.empty() || c.ca.empty()) {
        throw UsageError("give --dir D [--name N] or all of --cert, --key and --ca");
    }
    return c;
}

tls::ContextOptions versions(const po::variables_map& vm) {
    tls::ContextOptions o;
    o.min_version = tls::parse_tls_version(vm["min-version"].as<std::string>(), "--min-version");
    if (vm.count("max-version") != 0U) {
        o.max_version =
            tls::parse_tls_version(vm["max-version"].as<std::string>(), "--max-version");
    }
    return o;
}

void add_credential_options(po::options_description& options, const char* name_help) {
    options.add_options()("dir", po::value<std::string>(),
                          "CA directory: uses D/NAME.pem, D/NAME.key and D/ca.pem")(
        "name", po::value<std::string>(), name_help)(
        "cert", po::value<std::string>(), "our certificate (PEM)")("key", po::value<std::string>(),
                                                                   "our private key (PEM)")(
        "ca", po::value<std::string>(), "CA certificate the peer must be signed by (PEM)")(
        "min-version", po::value<std::string>()->default_value("1.2"),
        "lowest TLS version: 1.2 or 1.3")("max-version", po::value<std::string>(),
                                          "highest TLS version: 1.2 or 1.3");
}

int tls_server(const Args& args) {
    std::string listen;
    std::string mode;
    std::size_t max_conns = 0;
    double handshake_timeout = 0;
    double idle_timeout = 0;
    double name_wait = 0;
    std::uint64_t count = 0;
    std::string greeting;
    po::options_description options = option_group("tls server options");
    add_credential_options(options, "with --dir: certificate name (default: server)");
    options.add_options()("listen", po::value(&listen)->default_value("127.0.0.1:4433"),
                          "ADDR:PORT or [V6]:PORT ([::]:P = v4 and v6)")(
        "mode", po::value(&mode)->default_value("greeting"), "greeting, echo or sink")(
        "max-conns", po::value(&max_conns)->default_value(128), "most connections served at once")(
        "handshake-timeout", po::value(&handshake_timeout)->default_value(10),
        "seconds a client has to finish the handshake")(
        "idle-timeout", po::value(&idle_timeout)->default_value(30),
        "seconds without data before a connection is dropped")(
        "name-wait", po::value(&name_wait)->default_value(1),
        "greeting: seconds to wait for the client's name")(
        "greeting", po::value(&greeting),
        "greeting: the text sent first (\\r \\n \\t \\xHH escapes; default: \"You now have a "
        "secured connection!\")")(
        "count", po::value(&count)->default_value(0),
        "exit after serving this many connections (0 = run until SIGINT/SIGTERM)");
    const auto vm = parse_command_line(
        {"tcplab tls server --dir D [--name N] | --cert F --key F --ca F  [--listen ADDR:PORT] "
         "[--mode M]",
         "mTLS server: requires a client certificate signed by --ca with EKU clientAuth, logs one\n"
         "line per connection (peer, client certificate subject, TLS version, cipher, client "
         "name).\n"
         "Modes: greeting sends \"You now have a secured connection!\" (or --greeting TEXT) and\n"
         "closes with close_notify; echo returns what it receives; sink reads until close_notify\n"
         "and replies with the byte count, SHA-256 and MB/s. Stops gracefully on SIGINT/SIGTERM.\n"
         "Honours SSLKEYLOGFILE.",
         "examples:\n  tcplab tls server --dir pki --listen 127.0.0.1:4433\n"
         "  tcplab tls server --dir pki --listen [::]:4433 --mode sink --max-conns 64\n"
         "  tcplab tls server --dir pki --greeting 'lab server 3 ready\\n'"},
        options, args);
    if (!vm) {
        return kExitOk;
    }
    tls::ServerConfig config;
    config.credentials = credentials(*vm, "server");
    config.listen = listen;
    config.mode = tls::parse_server_mode(mode);
    config.max_conns = max_conns;
    config.handshake_timeout =
        seconds_flag(handshake_timeout, "--handshake-timeout", kMaxTlsSeconds);
    config.idle_timeout = seconds_flag(idle_timeout, "--idle-timeout", kMaxTlsSeconds);
    config.name_wait = seconds_flag(name_wait, "--name-wait", kMaxTlsSeconds);
    config.max_connections_total = count;
    if (vm->count("greeting") != 0U) {
        if (config.mode != tls::ServerMode::greeting) {
            throw UsageError("--greeting is sent in --mode greeting only, not --mode " + mode);
        }
        config.greeting = tls::unescape(greeting, "--greeting");
    }
    config.tls = versions(*vm);
    std::mutex out_mutex;
    config.on_connection = [&out_mutex](const tls::ConnectionLog& log) {
        const std::lock_guard lock(out_mutex);
        std::cout << tls::format_log(log) << std::endl;
    };
    StopSignals signals;  // SIGINT/SIGTERM: stop accepting, close_notify to everyone, exit 0
    tls::Server server(config);
    std::cerr << "tcplab tls server: listening on " << listen << " (port " << server.port()
              << "), mode " << mode << ", at most " << max_conns << " connections at once"
              << std::endl;
    const tls::ServerStats stats = server.run(signals.token());
    std::cerr << "tcplab tls server: stopped; " << stats.accepted << " accepted, "
              << stats.completed << " completed, " << stats.refused << " refused, "
              << stats.timed_out << " timed out, " << stats.failed << " failed" << std::endl;
    return kExitOk;
}

int tls_client(const Args& args) {
    std::string connect;
    std::string servername;
    std::string message;
    std::uint64_t send_bytes = 0;
    double timeout = 0;
    double reply_wait = 0;
    po::options_description options = option_group("tls client options");
    add_credential_options(
        options,
        "with --dir: certificate name (default: client); also sent to the server as the "
        "lab client's name (unless --message/--send-bytes)");
    options.add_options()("connect", po::value(&connect)->required(),
                          "HOST:PORT or [V6]:PORT of the server")(
        "servername", po::value(&servername),
        "name for SNI and for checking the server certificate (default: HOST)")(
        "message", po::value(&message),
        "text to send (\\r \\n \\t \\xHH escapes); prints the reply until the server closes")(
        "send-bytes", po::value(&send_bytes)->default_value(0),
        "stream N bytes (K/M/G not accepted: plain number) to a sink server; prints MB/s and "
        "SHA-256")("timeout", po::value(&timeout)->default_value(30),
                   "seconds for connect+handshake and for each wait for data")(
        "reply-wait", po::value(&reply_wait)->default_value(2),
        "with --message: once a reply has started, close after this many quiet seconds (0 = wait "
        "for the server to close)");
    const auto vm = parse_command_line(
        {"tcplab tls client --dir D [--name N] | --cert F --key F --ca F  --connect HOST:PORT "
         "[options]",
         "mTLS client: verifies the server chain against --ca and its name/IP against the SANs,\n"
         "presents its certificate, prints the server certificate, version and cipher to stderr "
         "and\n"
         "what it receives to stdout. Exit 0 after a clean close, 1 if the connection failed\n"
         "(refused, alert, verification), 2 for bad usage. Honours SSLKEYLOGFILE.",
         "examples:\n  tcplab tls client --dir pki --name c1 --connect 127.0.0.1:4433\n"
         "  tcplab tls client --dir pki --name c1 --connect localhost:4433 --message 'GET / "
         "HTTP/1.0\\r\\n\\r\\n'\n"
         "  tcplab tls client --dir pki --name c1 --connect [::1]:4433 --send-bytes 1073741824"},
        options, args);
    if (!vm) {
        return kExitOk;
    }
    tls::ClientConfig config;
    config.credentials = credentials(*vm, "client");
    config.connect = connect;
    config.servername = servername;
    config.message = tls::unescape(message);
    config.send_bytes = send_bytes;
    config.timeout = seconds_flag(timeout, "--timeout", kMaxTlsSeconds);
    config.tls = versions(*vm);
    if (!message.empty() && reply_wait > 0) {
        config.reply_wait = seconds_flag(reply_wait, "--reply-wait", kMaxTlsSeconds);
    }
    if (vm->count("name") != 0U && message.empty() && send_bytes == 0) {
        config.name = (*vm)["name"].as<std::string>();
    }
    config.on_data = [](std::string_view data) {
        std::cout.write(data.data(), static_cast<std::streamsize>(data.size())).flush();
    };

    const tls::ClientResult r = tls::run_client(config);
    if (r.server_certificate) {
        std::cerr << "server certificate: " << tls::one_line(*r.server_certificate) << "\n";
    }
    if (!r.version.empty()) {
        // With TLS 1.3 our handshake can finish before the server rejects us: say which it was.
        std::cerr << (r.ok ? "connected: " : "handshake finished on our side: ") << r.version << " "
                  << r.cipher << " (" << r.handshake_ms << " ms)\n";
    }
    if (send_bytes > 0 && r.bytes_sent > 0) {
        std::cerr << "sent " << r.bytes_sent << " bytes in " << r.seconds
                  << " s: " << r.mbytes_per_s << " MB/s sha256=" << r.sha256 << "\n";
        if (!r.sink_reply.empty()) {
            std::cerr << "sink replied: " << r.sink_reply
                      << (r.sink_verified ? " (matches)" : " (MISMATCH)") << "\n";
        }
    }
    if (!r.ok) {
        std::cerr << "tcplab tls client: " << r.error << "\n";
        return kExitCheckFailed;
    }
    if (!r.clean_close) {
        std::cerr << "tcplab tls client: note: the server closed without close_notify (data may be "
                     "truncated)\n";
    }
    return kExitOk;
}

}  // namespace

int run_tls(const Args& args) {
    const std::string usage =
        "usage: tcplab tls server|client ...   (tcplab tls <role> --help)\n"
        "  server  mTLS server (greeting, echo, sink), concurrent, graceful stop\n"
        "  client  mTLS client (greeting, --message, --send-bytes)\n";
    if (args.empty()) {
        throw UsageError("missing role\n" + usage);
    }
    const std::string& role = args.front();
    const Args rest(args.begin() + 1, args.end());
    if (role == "--help" || role == "-h") {
        std::cout << usage;
        return kExitOk;
    }
    if (role == "server") {
        return tls_server(rest);
    }
    if (role == "client") {
        return tls_client(rest);
    }
    throw UsageError("unknown role '" + role + "'\n" + usage);
}

}  // namespace tcplab::app
