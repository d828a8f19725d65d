#include "netem/impair/ledger.hpp"

#include <cerrno>
#include <cstring>

#include "base/errors.hpp"
#include "packet/format.hpp"

namespace tcplab::netem {

namespace {

const nlohmann::json& field(const nlohmann::json& j, const char* name) {
    if (!j.is_object() || !j.contains(name)) {
        throw UsageError(std::string("ledger entry lacks \"") + name + "\"");
    }
    return j.at(name);
}

packet::Endpoint endpoint_field(const nlohmann::json& j, const char* address_key,
                                const char* port_key) {
    const auto text = field(j, address_key).get<std::string>();
    const auto address = packet::IpAddress::parse(text);
    if (!address) {
        throw UsageError("ledger entry has " + std::string(address_key) + " \"" + text +
                         "\" (not an IP address)");
    }
    return {*address, field(j, port_key).get<std::uint16_t>()};
}

}  // namespace

nlohmann::json to_json(const LedgerEntry& e) {
    nlohmann::json j;
    j["t"] = e.t;
    j["dir"] = to_string(e.dir);
    j["src"] = e.packet.src.address.to_string();
    j["dst"] = e.packet.dst.address.to_string();
    j["sport"] = e.packet.src.port;
    j["dport"] = e.packet.dst.port;
    j["proto"] = packet::protocol_name(e.packet.protocol);
    j["flags"] = e.packet.is_tcp() ? packet::flag_names(e.packet.tcp_flags) : "";
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
    try {
        LedgerEntry e;
        e.t = field(j, "t").get<double>();
        const std::string dir = field(j, "dir").get<std::string>();
        if (dir != "c2s" && dir != "s2c") {
            throw UsageError("ledger entry has dir \"" + dir + "\" (expected c2s or s2c)");
        }
        e.dir = dir == "c2s" ? Direction::client_to_server : Direction::server_to_client;
        e.packet.src = endpoint_field(j, "src", "sport");
        e.packet.dst = endpoint_field(j, "dst", "dport");
        const std::string proto = field(j, "proto").get<std::string>();
        const auto protocol = packet::protocol_from_name(proto);
        if (!protocol) {
            throw UsageError("ledger entry has proto \"" + proto + "\" (not a protocol)");
        }
        e.packet.protocol = *protocol;
        e.packet.tcp_flags = j.value("tcp_flags", std::uint16_t{0});
        e.packet.seq = field(j, "seq").get<std::uint32_t>();
        e.packet.ack = field(j, "ack").get<std::uint32_t>();
        e.packet.len = field(j, "len").get<std::uint32_t>();
        if (j.contains("ip_id")) {
            e.packet.ip_id = j.at("ip_id").get<std::uint16_t>();
        }
        e.action = field(j, "action").get<std::string>();
        e.reason = field(j, "reason").get<std::string>();
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
