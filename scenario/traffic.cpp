#include "scenario/detail/traffic.hpp"

#include <algorithm>
#include <future>
#include <thread>

#include "base/errors.hpp"
#include "base/netns.hpp"
#include "generator/tcp_client.hpp"
#include "scenario/detail/traffic_kernel_bulk.hpp"
#include "tls/ca.hpp"
#include "tls/client.hpp"
#include "tls/server.hpp"

namespace tcplab::scenario {

namespace {

packet::Endpoint server_endpoint(const TrafficContext& context) {
    const netem::Topology& t = *context.topology;
    const auto address = packet::IpAddress::parse(context.ipv6 ? t.server_ipv6() : t.server_ipv4());
    return {*address, context.port};
}

// Client and server namespaces, the server's endpoint and the deadline of one traffic run.
KernelBulkOptions sink_options(const TrafficContext& context) {
    KernelBulkOptions options;
    options.client_netns = context.topology->namespace_name(netem::Role::client);
    options.server_netns = context.topology->namespace_name(netem::Role::server);
    options.server = server_endpoint(context);
    options.timeout_s = context.timeout_s;
    return options;
}

TrafficOutcome kernel_bulk(const TrafficSpec& spec, const TrafficContext& context) {
    KernelBulkOptions options = sink_options(context);
    options.bytes = spec.bytes;
    options.seed = context.seed;
    const KernelBulkResult r = run_kernel_bulk(options);
    TrafficOutcome out;
    out.spec = spec;
    out.completed = r.completed;
    out.integrity_checked = true;
    out.integrity_ok = r.completed && r.sha256_sent == r.sha256_received;
    char rate[64];
    std::snprintf(
        rate, sizeof rate, "%.3f s, %.2f Mbit/s", r.seconds,
        r.seconds > 0 ? static_cast<double>(r.bytes_received) * 8 / r.seconds / 1e6 : 0.0);
    out.detail = std::to_string(r.bytes_received) + " of " + std::to_string(spec.bytes) +
                 " bytes in " + rate + (r.error.empty() ? "" : "; " + r.error);
    out.json = {{"kind", to_string(spec.kind)},
                {"bytes", spec.bytes},
                {"bytes_sent", r.bytes_sent},
                {"bytes_received", r.bytes_received},
                {"sha256_sent", r.sha256_sent},
                {"sha256_received", r.sha256_received},
                {"client_port", r.client_port},
                {"server", options.server.to_string()},
                {"seconds", r.seconds},
                {"completed", r.completed},
                {"error", r.error}};
    return out;
}

// A CA, a server certificate for the server's addresses and a client certificate, made at run
// time in the run's work directory (keys 0600, removed after the run). Ed25519 everywhere: its
// signatures are always 64 bytes (ECDSA's DER signatures are 70-72), so every handshake flight
// has the same length in every run, the TCP sequence numbers of what follows do too, and the
// same seed drops the same segments (the fault decider names a segment by its relative seq).
void make_pki(const TrafficContext& context) {
    if (std::filesystem::exists(context.work_dir / "ca.pem")) {
        return;
    }
    tls::KeySpec fixed_length_signatures;
    fixed_length_signatures.kind = tls::KeySpec::Kind::ed25519;
    tls::CaInitOptions ca;
    ca.dir = context.work_dir;
    ca.common_name = "tcplab scenario CA";
    ca.key = fixed_length_signatures;
    tls::init_ca(ca);
    tls::IssueOptions server;
    server.dir = context.work_dir;
    server.name = "server";
    server.role = tls::CertRole::server;
    server.sans = {"IP:" + context.topology->server_ipv4(),
                   "IP:" + context.topology->server_ipv6()};
    server.key = fixed_length_signatures;
    tls::issue_certificate(server);
    tls::IssueOptions client;
    client.dir = context.work_dir;
    client.name = "c1";
    client.role = tls::CertRole::client;
    client.key = fixed_length_signatures;
    tls::issue_certificate(client);
}

TrafficOutcome tls_traffic(const TrafficSpec& spec, const TrafficContext& context) {
    make_pki(context);
    const bool bulk = spec.kind == TrafficSpec::Kind::tls_bulk;
    const packet::Endpoint server_at = server_endpoint(context);
    const auto timeout = std::chrono::milliseconds(static_cast<long>(context.timeout_s * 1000));

    tls::ServerConfig server_config;
    server_config.credentials = tls::Credentials::from_dir(context.work_dir, "server");
    server_config.listen = server_at.to_string();
    server_config.mode = bulk ? tls::ServerMode::sink : tls::ServerMode::greeting;
    server_config.max_conns = 1;
    server_config.max_connections_total = 1;
    server_config.handshake_timeout = timeout;
    server_config.idle_timeout = timeout;
    // Neither end's buffer may shape the segments, or the same seed would not hit the same
    // ones: a receive window that fills up makes Linux send a short segment up to its edge, and
    // a full send buffer pushes out a partial segment despite TCP_CORK. Both ends get room for
    // the whole transfer (up to 64 MiB), so only cwnd and loss decide what is sent.
    const int socket_buffer =
        static_cast<int>(std::min<std::uint64_t>(2 * spec.bytes + (1 << 20), 64 << 20));
    server_config.receive_buffer = socket_buffer;
    tls::ConnectionLog server_log;
    server_config.on_connection = [&](const tls::ConnectionLog& log) { server_log = log; };

    std::promise<void> listening;
    auto listening_future = listening.get_future();
    std::jthread server_thread([&](std::stop_token stop) {
        try {
            ScopedNetns inside(context.topology->namespace_name(netem::Role::server));
            tls::Server server(server_config);
            listening.set_value();
            server.run(stop);
        } catch (...) {
            try {
                listening.set_exception(std::current_exception());
            } catch (const std::future_error&) {
            }
        }
    });

    TrafficOutcome out;
    out.spec = spec;
    tls::ClientResult client;
    try {
        listening_future.get();
        tls::ClientConfig config;
        config.credentials = tls::Credentials::from_dir(context.work_dir, "c1");
        config.connect = server_at.to_string();
        config.name = "c1";
        config.send_bytes = bulk ? spec.bytes : 0;
        config.timeout = timeout;
        config.send_buffer = socket_buffer;
        run_in_netns(context.topology->namespace_name(netem::Role::client),
                     [&] { client = tls::run_client(config); });
    } catch (const std::exception& e) {
        client.ok = false;
        client.error = e.what();
    }
    server_thread.request_stop();
    server_thread.join();

    const bool greeted = client.received.find(tls::kGreeting) != std::string::npos;
    out.completed = client.ok && (bulk ? client.sink_verified : greeted);
    if (bulk) {
        out.integrity_checked = true;
        out.integrity_ok = client.sink_verified;
    }
    char summary[160];
    std::snprintf(summary, sizeof summary, "%s %s, handshake %.1f ms", client.version.c_str(),
                  client.cipher.c_str(), client.handshake_ms);
    out.detail =
        std::string(summary) +
        (bulk      ? ", " + std::to_string(client.bytes_sent) + " bytes, sink: " + client.sink_reply
         : greeted ? ", greeting received"
                   : ", no greeting") +
        (client.error.empty() ? "" : "; client: " + client.error) +
        (client.alert.empty() ? "" : " (alert: " + client.alert + ")") +
        (server_log.error.empty() ? "" : "; server: " + server_log.error);
    out.json = {
        {"kind", to_string(spec.kind)},
        {"server", server_at.to_string()},
        {"completed", out.completed},
        {"handshake",
         {{"ok", client.ok},
          {"version", client.version},
          {"cipher", client.cipher},
          {"handshake_ms", client.handshake_ms},
          {"alert", client.alert},
          {"failing_side", client.ok ? "" : (server_log.error.empty() ? "client" : "server")},
          {"client_error", client.error},
          {"server_error", server_log.error}}},
        {"server_log", tls::format_log(server_log)},
        {"bytes_sent", client.bytes_sent},
        {"sha256_sent", client.sha256},
        {"sink_reply", client.sink_reply},
        {"sink_verified", client.sink_verified},
        {"clean_close", client.clean_close}};
    if (!bulk) {
        out.json["received"] = client.received;
    }
    return out;
}

// The generator's user-space TCP client (SYN, data, FIN) against the server's kernel: the kernel
// sink hashes what its application received, compared with the generator's payload pattern.
TrafficOutcome crafted_handshake(const TrafficSpec& spec, const TrafficContext& context) {
    const KernelBulkOptions options = sink_options(context);
    gen::HandshakeResult crafted;
    const SinkOutcome sink = run_with_sink(options, /*reply_digest=*/false, [&](auto deadline) {
        gen::HandshakeOptions h;
        h.src = *packet::IpAddress::parse(context.ipv6 ? context.topology->client_ipv6()
                                                       : context.topology->client_ipv4());
        h.dst = options.server;
        h.data_bytes = spec.bytes;
        h.fin = true;
        h.sack = true;
        h.timestamps = true;
        h.wscale = 7;
        h.max_retransmissions = 12;
        h.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        crafted = gen::run_handshake(h);
        return crafted.completed ? std::string() : crafted.reason;
    });
    std::vector<std::uint8_t> expected(spec.bytes);
    for (std::uint64_t i = 0; i < spec.bytes; ++i) {
        expected[i] = gen::payload_byte(i);
    }
    TrafficOutcome out;
    out.spec = spec;
    out.completed = crafted.completed && sink.server_error.empty();
    out.integrity_checked = true;
    out.integrity_ok = sink.received == spec.bytes && sink.sha256 == sha256_hex(expected);
    // The generator threw before it could send (e.g. the RST suppressor's nftables rule could
    // not be installed): its message is the reason, not the default outcome's empty one.
    const bool client_threw = crafted.reason.empty() && !sink.client_error.empty();
    const std::string reason = client_threw ? sink.client_error : crafted.reason;
    out.detail = std::string(client_threw ? "client failed" : gen::to_string(crafted.outcome)) +
                 ": " + reason + "; " + std::to_string(crafted.retransmissions) +
                 " own retransmissions; the server application received " +
                 std::to_string(sink.received) + " of " + std::to_string(spec.bytes) + " bytes" +
                 (sink.server_error.empty() ? "" : "; server: " + sink.server_error);
    out.json = {{"kind", to_string(spec.kind)},
                {"server", options.server.to_string()},
                {"completed", out.completed},
                {"outcome", gen::to_string(crafted.outcome)},
                {"reason", reason},
                {"retransmissions", crafted.retransmissions},
                {"bytes_acked", crafted.bytes_acked},
                {"bytes_received", sink.received},
                {"sport", crafted.sport},
                {"transcript", crafted.transcript}};
    return out;
}

}  // namespace

TrafficOutcome run_traffic(const TrafficSpec& spec, const TrafficContext& context) {
    switch (spec.kind) {
        case TrafficSpec::Kind::kernel_bulk:
            return kernel_bulk(spec, context);
        case TrafficSpec::Kind::tls_greeting:
        case TrafficSpec::Kind::tls_bulk:
            return tls_traffic(spec, context);
        case TrafficSpec::Kind::crafted_handshake:
            return crafted_handshake(spec, context);
        case TrafficSpec::Kind::command:
            break;  // the user's commands run through run_user_commands (traffic_command.hpp)
    }
    throw UsageError("unknown traffic kind");
}

}  // namespace tcplab::scenario
