#include "netem/impair/ledger.hpp"

#include <cerrno>
#include <cstring>

#include "base/errors.hpp"
#include "packet/byte_io.hpp"
#include "packet/dissect.hpp"
#include "packet/format.hpp"

namespace tcplab::netem {

namespace {

std::string proto_name(std::uint8_t proto) {
    switch (proto) {
        case 6:
            return "tcp";
        case 17:
            return "udp";
        case 1:
            return "icmp";
        case 58:
            return "icmpv6";
        default:
            return std::to_string(proto);
    }
}

const char* dir_name(Direction d) { return d == Direction::client_to_server ? "c2s" : "s2c"; }

}  // namespace

std::optional<PacketSummary> summarize_ethernet_frame(std::span<const std::uint8_t> frame) {
    auto d = packet::dissect(packet::LinkType::ethernet, frame);
    if (!d || (d->ip_version != 4 && d->ip_version != 6)) {
        return std::nullopt;
    }
    PacketSummary s;
    s.src = d->src.to_string();
    s.dst = d->dst.to_string();
    s.proto = proto_name(d->protocol);
    s.len = d->transport_length;
    if (d->ip_version == 4 && frame.size() >= d->ip_offset + 6) {
        s.ip_id = packet::load_be16(&frame[d->ip_offset + 4]);
    }
    if (d->is_tcp) {
        s.sport = d->tcp.src_port;
        s.dport = d->tcp.dst_port;
        s.tcp_flags = d->tcp.flags;
        s.seq = d->tcp.seq.raw();
        s.ack = d->tcp.ack.raw();
        s.len = d->tcp_payload_length;
    } else if (d->protocol == 17 && d->is_first_fragment &&
               frame.size() >= d->transport_offset + 8) {
        s.sport = packet::load_be16(&frame[d->transport_offset]);
        s.dport = packet::load_be16(&frame[d->transport_offset + 2]);
        s.len = d->transport_length >= 8 ? d->transport_length - 8 : 0;
    }
    return s;
}

nlohmann::json to_json(const LedgerEntry& e) {
    nlohmann::json j;
    j["t"] = e.t;
    j["dir"] = dir_name(e.dir);
    j["src"] = e.packet.src;
    j["dst"] = e.packet.dst;
    j["sport"] = e.packet.sport;
    j["dport"] = e.packet.dport;
    j["proto"] = e.packet.proto;
    j["flags"] = e.packet.proto == "tcp" ? packet::flag_names(e.packet.tcp_flags) : "";
    j["tcp_flags"] = e.packet.tcp_flags;
    j["seq"] = e.packet.seq;
    j["ack"] = e.packet.ack;
    j["len"] = e.packet.len;
    if (e.packet.ip_id) {
        j["ip_id"] = *e.packet.ip_id;
    }
    j["action"] = e.action;
    j["reason"] = e.reason;
    if (e.transmission) {
        j["transmission"] = *e.transmission;
    }
    if (e.delay_ms) {
        j["delay_ms"] = *e.delay_ms;
    }
    return j;
}

LedgerEntry ledger_entry_from_json(const nlohmann::json& j) {
    auto field = [&](const char* name) -> const nlohmann::json& {
        if (!j.is_object() || !j.contains(name)) {
            throw UsageError(std::string("ledger entry lacks \"") + name + "\"");
        }
        return j.at(name);
    };
    try {
        LedgerEntry e;
        e.t = field("t").get<double>();
        const std::string dir = field("dir").get<std::string>();
        if (dir != "c2s" && dir != "s2c") {
            throw UsageError("ledger entry has dir \"" + dir + "\" (expected c2s or s2c)");
        }
        e.dir = dir == "c2s" ? Direction::client_to_server : Direction::server_to_client;
        e.packet.src = field("src").get<std::string>();
        e.packet.dst = field("dst").get<std::string>();
        e.packet.sport = field("sport").get<std::uint16_t>();
        e.packet.dport = field("dport").get<std::uint16_t>();
        e.packet.proto = field("proto").get<std::string>();
        e.packet.tcp_flags = j.value("tcp_flags", std::uint16_t{0});
        e.packet.seq = field("seq").get<std::uint32_t>();
        e.packet.ack = field("ack").get<std::uint32_t>();
        e.packet.len = field("len").get<std::uint32_t>();
        if (j.contains("ip_id")) {
            e.packet.ip_id = j.at("ip_id").get<std::uint16_t>();
        }
        e.action = field("action").get<std::string>();
        e.reason = field("reason").get<std::string>();
        if (j.contains("transmission")) {
            e.transmission = j.at("transmission").get<std::uint32_t>();
        }
        if (j.contains("delay_ms")) {
            e.delay_ms = j.at("delay_ms").get<double>();
        }
        return e;
    } catch (const nlohmann::json::exception& ex) {
        throw UsageError(std::string("ledger entry has a field of the wrong type: ") + ex.what());
    }
}

LedgerWriter::LedgerWriter(const std::filesystem::path& path)
    : path_(path), out_(path, std::ios::out | std::ios::trunc) {
    if (!out_) {
        throw SystemError("cannot create ledger " + path.string() + ": " + std::strerror(errno));
    }
}

void LedgerWriter::write(const LedgerEntry& entry) {
    out_ << to_json(entry).dump() << '\n';
    ++lines_;
}

void LedgerWriter::flush() {
    out_.flush();
    if (!out_) {
        throw SystemError("cannot write ledger " + path_.string());
    }
}

std::vector<LedgerEntry> read_ledger(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        throw UsageError("cannot read ledger " + path.string() + ": " + std::strerror(errno));
    }
    std::vector<LedgerEntry> out;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) {
            continue;
        }
        try {
            out.push_back(ledger_entry_from_json(nlohmann::json::parse(line)));
        } catch (const nlohmann::json::exception& ex) {
            throw UsageError(path.string() + ":" + std::to_string(number) +
                             ": not JSON: " + ex.what());
        } catch (const UsageError& ex) {
            throw UsageError(path.string() + ":" + std::to_string(number) + ": " + ex.what());
        }
    }
    return out;
}

}  // namespace tcplab::netem
