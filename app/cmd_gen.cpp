// tcplab gen: raw-socket crafting. Parses flags into the generator's option structs and prints
// what the library returns; all logic lives in generator/.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "app/cli.hpp"
#include "base/errors.hpp"
#include "generator/flood.hpp"
#include "generator/probe.hpp"
#include "generator/segment.hpp"
#include "generator/spec_parse.hpp"
#include "generator/tcp_client.hpp"
#include "packet/format.hpp"

namespace tcplab::app {

namespace {

constexpr double kMaxGenSeconds = 3600;  // no probe, handshake or flood runs longer than an hour

constexpr const char* kGenUsage =
    "usage: tcplab gen <syn|handshake|data|fin|rst|flood> [options]   (tcplab gen <kind> --help)\n"
    "  syn        send SYN(s) and print what came back (SYN-ACK + options, RST, or nothing)\n"
    "  handshake  user-space TCP client: handshake, --data N bytes, --fin or --rst\n"
    "  data|fin|rst  one crafted segment into a 4-tuple (--seq/--ack given)\n"
    "  flood      bounded SYN/ACK/UDP flood (--count or --duration), rate-controlled\n";

// Options shared by syn and handshake.
void add_syn_flags(po::options_description& d) {
    d.add_options()("src", po::value<std::string>()->required(),
                    "local source address (IPv4 or IPv6)")(
        "dst", po::value<std::string>()->required(), "destination ADDR:PORT or [IPv6]:PORT")(
        "sport", po::value<unsigned>(), "source port (default: random 32768-60999)")(
        "isn", po::value<std::uint32_t>(), "initial sequence number (default: random)")(
        "mss", po::value<unsigned>()->default_value(1460), "MSS option value")(
        "wscale", po::value<unsigned>(), "window-scale option (shift 0..14)")(
        "sack", po::bool_switch(), "SACK_PERM option")("timestamps", po::bool_switch(),
                                                       "timestamps option")(
        "window", po::value<unsigned>()->default_value(64240), "window field")(
        "ttl", po::value<unsigned>()->default_value(64), "IP TTL / hop limit")(
        "timeout", po::value<double>()->default_value(3.0),
        "seconds to wait (syn: per probe; handshake: whole exchange)");
}

std::uint16_t u16_flag(const po::variables_map& vm, const char* name) {
    return gen::check_u16(vm[name].as<unsigned>(), name);
}

std::optional<std::uint16_t> optional_port(const po::variables_map& vm, const char* name) {
    if (vm.count(name) == 0) {
        return std::nullopt;
    }
    return gen::check_port(vm[name].as<unsigned>(), name);
}

std::optional<std::uint8_t> optional_wscale(const po::variables_map& vm) {
    if (vm.count("wscale") == 0) {
        return std::nullopt;
    }
    return gen::check_wscale(vm["wscale"].as<unsigned>());
}

std::uint8_t ttl_flag(const po::variables_map& vm) {
    return gen::check_ttl(vm["ttl"].as<unsigned>());
}

// The flags add_syn_flags() declared, into the settings syn and handshake share.
void read_syn_flags(const po::variables_map& vm, gen::SynSettings& o) {
    o.src = gen::parse_address(vm["src"].as<std::string>(), "src");
    o.dst = gen::parse_endpoint(vm["dst"].as<std::string>(), "dst");
    o.sport = optional_port(vm, "sport");
    if (vm.count("isn") != 0U) {
        o.isn = vm["isn"].as<std::uint32_t>();
    }
    o.mss = u16_flag(vm, "mss");
    o.wscale = optional_wscale(vm);
    o.sack = vm["sack"].as<bool>();
    o.timestamps = vm["timestamps"].as<bool>();
    o.window = u16_flag(vm, "window");
    o.ttl = ttl_flag(vm);
}

void print_lines(const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
        std::cout << line << "\n";
    }
}

int run_syn(const Args& args) {
    po::options_description d = option_group("syn options");
    add_syn_flags(d);
    d.add_options()("count", po::value<unsigned>()->default_value(1),
                    "number of probes (source port +1 each)")(
        "flags", po::value<std::string>(), "flags instead of SYN, e.g. SYN,ECE,CWR")(
        "option", po::value<std::vector<std::string>>(),
        "extra raw option KIND:HEXDATA (repeatable)");
    const auto vm = parse_command_line(
        {"tcplab gen syn --src ADDR --dst ADDR:PORT [options]",
         "Sends SYN(s) with the requested options and prints the answer: SYN-ACK with its "
         "options,\n"
         "RST, or nothing within --timeout. Exit 0 if every probe was answered (SYN-ACK or RST),\n"
         "1 if one got no answer.",
         "example: tcplab gen syn --src 198.18.1.2 --dst 198.19.1.2:80 --sack --timestamps "
         "--wscale 7"},
        d, args);
    if (!vm) {
        return kExitOk;
    }
    gen::SynProbeOptions o;
    read_syn_flags(*vm, o);
    o.count = (*vm)["count"].as<unsigned>();
    o.timeout = seconds_flag((*vm)["timeout"].as<double>(), "--timeout", kMaxGenSeconds);
    if (vm->count("flags") != 0U) {
        o.flags = gen::parse_tcp_flags((*vm)["flags"].as<std::string>(), "flags");
    }
    if (vm->count("option") != 0U) {
        for (const auto& text : (*vm)["option"].as<std::vector<std::string>>()) {
            o.extra_options.push_back(gen::parse_raw_option(text, "option"));
        }
    }
    const auto result = gen::run_syn_probe(o);
    print_lines(result.transcript);
    bool all_answered = true;
    for (const auto& a : result.answers) {
        std::cout << o.dst.to_string() << " from port " << a.sport << ": "
                  << gen::to_string(a.reply);
        if (a.header && a.reply == gen::ProbeReply::syn_ack) {
            std::cout << "  options: " << packet::options_summary(a.header->options);
        }
        if (a.rtt) {
            std::cout << "  rtt " << static_cast<double>(a.rtt->count()) / 1000.0 << " ms";
        }
        std::cout << "\n";
        all_answered = all_answered && a.reply != gen::ProbeReply::none;
    }
    return all_answered ? kExitOk : kExitCheckFailed;
}

int run_handshake_command(const Args& args) {
    po::options_description d = option_group("handshake options");
    add_syn_flags(d);
    d.add_options()("data", po::value<std::uint64_t>()->default_value(0),
                    "bytes to send after the handshake")(
        "fin", po::bool_switch(), "close with FIN, wait for the peer's FIN, send the final ACK")(
        "rst", po::bool_switch(), "abort with RST after the data is acknowledged")(
        "retries", po::value<unsigned>()->default_value(8),
        "retransmissions of one segment before giving up")(
        "no-suppress-rst", po::bool_switch(),
        "do not install the nftables rule that drops the kernel's RSTs");
    const auto vm = parse_command_line(
        {"tcplab gen handshake --src ADDR --dst ADDR:PORT [--data N] [--fin|--rst] [options]",
         "A user-space TCP client on raw sockets: SYN, SYN-ACK, ACK, then N bytes in MSS-sized\n"
         "segments within the peer's window (own RTO timer, exponential backoff), then FIN both\n"
         "ways or RST. Prints a Wireshark-style transcript with relative seq/ack; own\n"
         "retransmissions are marked. Exit 0 when completed, 1 on RST or timeout.",
         "example: tcplab gen handshake --src 198.18.1.2 --dst 198.19.1.2:8080 --data 3000 --fin "
         "--timeout 10"},
        d, args);
    if (!vm) {
        return kExitOk;
    }
    gen::HandshakeOptions o;
    read_syn_flags(*vm, o);
    o.timeout = seconds_flag((*vm)["timeout"].as<double>(), "--timeout", kMaxGenSeconds);
    o.data_bytes = (*vm)["data"].as<std::uint64_t>();
    o.fin = (*vm)["fin"].as<bool>();
    o.rst = (*vm)["rst"].as<bool>();
    o.max_retransmissions = static_cast<int>(std::min((*vm)["retries"].as<unsigned>(), 30U));
    o.suppress_rst = !(*vm)["no-suppress-rst"].as<bool>();
    const auto result = gen::run_handshake(o);
    print_lines(result.transcript);
    std::cout << "result: " << gen::to_string(result.outcome) << " — " << result.reason
              << "\nbytes acked: " << result.bytes_acked << " of " << o.data_bytes
              << ", own retransmissions: " << result.retransmissions;
    if (result.handshake_rtt) {
        std::cout << ", handshake rtt: "
                  << static_cast<double>(result.handshake_rtt->count()) / 1000.0 << " ms";
    }
    std::cout << "\n";
    return result.completed ? kExitOk : kExitCheckFailed;
}

int run_single_segment(const std::string& kind, const Args& args) {
    po::options_description d = option_group(kind + " options");
    d.add_options()("src", po::value<std::string>()->required(), "source address")(
        "sport", po::value<unsigned>()->required(), "source port")(
        "dst", po::value<std::string>()->required(), "destination ADDR:PORT")(
        "seq", po::value<std::uint32_t>()->required(), "sequence number (raw)")(
        "ack", po::value<std::uint32_t>()->default_value(0),
        "acknowledgment number (raw; sets ACK unless --flags)")(
        "flags", po::value<std::string>(), "flags, e.g. FIN,ACK or 0x011 (default per kind)")(
        "data", po::value<unsigned>()->default_value(0), "payload of N pattern bytes")(
        "payload", po::value<std::string>(), "payload text (instead of --data)")(
        "window", po::value<unsigned>()->default_value(64240), "window field")(
        "urgent", po::value<unsigned>()->default_value(0), "urgent pointer")(
        "mss", po::value<unsigned>(), "MSS option")(
        "wscale", po::value<unsigned>(), "window-scale option")("sack-perm", po::bool_switch(),
                                                                "SACK_PERM option")(
        "sack-block", po::value<std::vector<std::string>>(), "SACK block LEFT-RIGHT (repeatable)")(
        "ts", po::value<std::string>(), "timestamps option TSVAL:TSECR")(
        "option", po::value<std::vector<std::string>>(), "raw option KIND:HEXDATA (repeatable)")(
        "ttl", po::value<unsigned>()->default_value(64), "IP TTL / hop limit")(
        "bad-checksum", po::bool_switch(), "send a deliberately wrong TCP checksum");
    const auto vm = parse_command_line(
        {"tcplab gen " + kind + " --src ADDR --sport P --dst ADDR:PORT --seq N [--ack N] [options]",
         "Sends exactly one crafted segment (default flags: data=PSH,ACK fin=FIN,ACK rst=RST or\n"
         "RST,ACK with --ack) and prints its info line with raw seq/ack.",
         "example: tcplab gen fin --src 198.18.1.2 --sport 40000 --dst 198.19.1.2:80 --seq 1001 "
         "--ack 1 --data 10"},
        d, args);
    if (!vm) {
        return kExitOk;
    }
    gen::SegmentOptions o;
    o.src = gen::parse_address((*vm)["src"].as<std::string>(), "src");
    o.sport = *optional_port(*vm, "sport");
    o.dst = gen::parse_endpoint((*vm)["dst"].as<std::string>(), "dst");
    o.seq = (*vm)["seq"].as<std::uint32_t>();
    o.ack = (*vm)["ack"].as<std::uint32_t>();
    const bool has_ack = vm->count("ack") != 0U && !(*vm)["ack"].defaulted();
    o.flags = vm->count("flags") != 0U
                  ? gen::parse_tcp_flags((*vm)["flags"].as<std::string>(), "flags")
                  : gen::default_segment_flags(kind, has_ack);
    o.window = u16_flag(*vm, "window");
    o.urgent_pointer = u16_flag(*vm, "urgent");
    o.ttl = ttl_flag(*vm);
    o.bad_checksum = (*vm)["bad-checksum"].as<bool>();
    if (vm->count("payload") != 0U) {
        const auto& text = (*vm)["payload"].as<std::string>();
        o.payload.assign(text.begin(), text.end());
    } else {
        o.payload = gen::pattern_payload((*vm)["data"].as<unsigned>());
    }
    if (vm->count("mss") != 0U) {
        o.options.push_back(packet::TcpOption::make_mss(u16_flag(*vm, "mss")));
    }
    if ((*vm)["sack-perm"].as<bool>()) {
        o.options.push_back(packet::TcpOption::make_sack_permitted());
    }
    if (vm->count("ts") != 0U) {
        const auto ts = gen::parse_timestamps((*vm)["ts"].as<std::string>(), "ts");
        o.options.push_back(packet::TcpOption::make_timestamps(ts.value, ts.echo_reply));
    }
    if (auto ws = optional_wscale(*vm)) {
        o.options.push_back(packet::TcpOption::make_window_scale(*ws));
    }
    if (vm->count("sack-block") != 0U) {
        std::vector<packet::SackBlock> blocks;
        for (const auto& text : (*vm)["sack-block"].as<std::vector<std::string>>()) {
            blocks.push_back(gen::parse_sack_block(text, "sack-block"));
        }
        o.options.push_back(packet::TcpOption::make_sack(std::move(blocks)));
    }
    if (vm->count("option") != 0U) {
        for (const auto& text : (*vm)["option"].as<std::vector<std::string>>()) {
            o.options.push_back(gen::parse_raw_option(text, "option"));
        }
    }
    const auto sent = gen::send_segment(o);
    std::cout << "sent " << sent.packet.size() << " bytes: " << sent.line << "\n";
    return kExitOk;
}

int run_flood_command(const Args& args) {
    po::options_description d = option_group("flood options");
    d.add_options()("kind", po::value<std::string>()->default_value("syn"), "syn, ack or udp")(
        "dst", po::value<std::string>()->required(), "destination ADDR:PORT")(
        "count", po::value<std::uint64_t>(), "total packets to send")(
        "duration", po::value<double>(), "seconds to send for")(
        "rate", po::value<std::string>()->default_value("max"),
        "packets per second (all threads), or max")(
        "src-range", po::value<std::string>(),
        "source addresses to cycle through, CIDR (default: route's source)")(
        "sport-range", po::value<std::string>()->default_value("1024-65535"),
        "source ports to cycle through")("threads", po::value<unsigned>()->default_value(1),
                                         "sender threads (each its own socket)")(
        "batch", po::value<unsigned>()->default_value(256),
        "frames per send call (ring kick or sendmmsg)")(
        "tx", po::value<std::string>()->default_value("auto"),
        "ring (PACKET_TX_RING), sendmmsg, or auto (the ring, sendmmsg if it cannot be set up)")(
        "payload", po::value<unsigned>()->default_value(0), "UDP payload bytes")(
        "ttl", po::value<unsigned>()->default_value(64), "IP TTL / hop limit")(
        "quiet", po::bool_switch(), "no live progress line");
    const auto vm = parse_command_line(
        {"tcplab gen flood --kind syn|ack|udp --dst ADDR:PORT (--count N | --duration S) [options]",
         "Sends a bounded flood of crafted frames straight to the egress interface (AF_PACKET\n"
         "TX ring, sendmmsg as fallback; qdisc bypassed) at a precise rate or as fast as\n"
         "possible. Always bounded: --count, --duration, or both (whichever ends first). Live\n"
         "progress on stderr, summary on stdout.",
         "example: tcplab gen flood --kind syn --dst 198.19.1.2:80 --rate max --duration 5 "
         "--threads 2"},
        d, args);
    if (!vm) {
        return kExitOk;
    }
    gen::FloodOptions o;
    o.kind = gen::parse_flood_kind((*vm)["kind"].as<std::string>());
    o.dst = gen::parse_endpoint((*vm)["dst"].as<std::string>(), "dst");
    if (vm->count("count") != 0U) {
        o.count = (*vm)["count"].as<std::uint64_t>();
    }
    if (vm->count("duration") != 0U) {
        o.duration = seconds_flag((*vm)["duration"].as<double>(), "--duration", kMaxGenSeconds);
    }
    o.rate = gen::parse_rate((*vm)["rate"].as<std::string>(), "rate");
    if (vm->count("src-range") != 0U) {
        o.src_range = gen::parse_cidr((*vm)["src-range"].as<std::string>(), "src-range");
    }
    const auto ports = gen::parse_port_range((*vm)["sport-range"].as<std::string>(), "sport-range");
    o.sport_low = ports.first;
    o.sport_high = ports.second;
    o.threads = (*vm)["threads"].as<unsigned>();
    o.batch = (*vm)["batch"].as<unsigned>();
    o.tx = gen::parse_flood_tx((*vm)["tx"].as<std::string>());
    o.payload = u16_flag(*vm, "payload");
    o.ttl = ttl_flag(*vm);
    const bool quiet = (*vm)["quiet"].as<bool>();
    const auto result = gen::run_flood(o, [quiet](const gen::FloodProgress& p) {
        if (quiet) {
            return;
        }
        const double secs = p.elapsed.count();
        std::fprintf(stderr, "\r  %6.1f s  %12llu packets  %10.0f pps  %llu errors   ", secs,
                     static_cast<unsigned long long>(p.packets),
                     secs > 0 ? static_cast<double>(p.packets) / secs : 0.0,
                     static_cast<unsigned long long>(p.errors));
    });
    if (!quiet) {
        std::fputs("\n", stderr);
    }
    if (!result.fallback_reason.empty()) {
        std::fprintf(stderr, "notice: sent with sendmmsg, the TX ring was unavailable (%s)\n",
                     result.fallback_reason.c_str());
    }
    std::printf(
        "flood %s to %s via %s: %llu packets in %.3f s = %.0f pps, %.1f Mbit/s "
        "(%zu-byte frames), %llu errors, %u thread(s)\n",
        gen::to_string(o.kind), o.dst.to_string().c_str(), result.interface.c_str(),
        static_cast<unsigned long long>(result.packets), result.elapsed.count(), result.pps(),
        result.mbps(), result.frame_size, static_cast<unsigned long long>(result.errors),
        o.threads);
    return kExitOk;
}

}  // namespace

int run_gen(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout) << kGenUsage;
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string& kind = args[0];
    const Args rest(args.begin() + 1, args.end());
    if (kind == "syn") {
        return run_syn(rest);
    }
    if (kind == "handshake") {
        return run_handshake_command(rest);
    }
    if (kind == "data" || kind == "fin" || kind == "rst") {
        return run_single_segment(kind, rest);
    }
    if (kind == "flood") {
        return run_flood_command(rest);
    }
    throw UsageError("unknown gen kind '" + kind + "'\n" + kGenUsage);
}

}  // namespace tcplab::app
