#include "analyzer/path_diff.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "base/errors.hpp"
#include "base/hash.hpp"
#include "packet/checksum.hpp"
#include "packet/dissect.hpp"
#include "packet/format.hpp"
#include "packet/ipv4.hpp"

namespace tcplab::analyzer {

namespace {

struct Record {
    std::uint32_t frame = 0;
    double time = 0;
    packet::PacketRecord summary;
    std::uint64_t key = 0;
    std::uint64_t payload_hash = 0;
    std::optional<bool> checksum_ok;  // nullopt: not verifiable (truncated, fragment, other proto)
};

struct PcapCloser {
    void operator()(pcap_t* p) const { pcap_close(p); }
};

std::optional<bool> verify_checksum(std::span<const std::uint8_t> frame,
                                    const packet::Dissected& d) {
    if ((d.protocol != packet::kIpProtoTcp && d.protocol != packet::kIpProtoUdp) || d.is_fragment ||
        d.transport_offset + d.transport_length > frame.size()) {
        return std::nullopt;
    }
    packet::PseudoHeader ph{d.src, d.dst, d.protocol, d.transport_length};
    return packet::transport_checksum(ph, frame.subspan(d.transport_offset, d.transport_length)) ==
           0;
}

// What makes two captured copies "the same packet" (see path_diff.hpp): addresses, protocol,
// ports, length, the IPv4 id, and for TCP seq, ack, flags and the timestamps option.
std::uint64_t identity_key(const packet::Dissected& d, const Record& r) {
    const packet::PacketRecord& s = r.summary;
    std::uint64_t key = hash_bytes({d.src.bytes.data(), d.src.size()}, d.protocol);
    key = hash_bytes({d.dst.bytes.data(), d.dst.size()}, key);
    key = hash_combine(key, (std::uint64_t{s.src.port} << 16) | s.dst.port);
    key = hash_combine(key, s.ip_id ? 0x10000u | *s.ip_id : 0);
    key = hash_combine(key, s.len);
    if (d.is_tcp) {
        key = hash_combine(key, (std::uint64_t{s.seq} << 32) | s.ack);
        key = hash_combine(key, s.tcp_flags);
        if (d.tcp.options.timestamps) {
            key = hash_combine(key, (std::uint64_t{d.tcp.options.timestamps->value} << 32) |
                                        d.tcp.options.timestamps->echo_reply);
        }
    } else if (!s.ip_id) {
        key = hash_combine(key, r.payload_hash);  // IPv6 non-TCP: the content is the identity
    }
    return key;
}

// The record of one captured frame; nullopt for what a path diff cannot match (not IP,
// malformed, or link-local traffic such as ND and DAD, which never crosses the router).
std::optional<Record> record_frame(packet::LinkType link, std::span<const std::uint8_t> bytes) {
    const auto d = packet::dissect(link, bytes);
    if (!d) {
        return std::nullopt;
    }
    auto summary = packet::record_of(*d, bytes);
    if (!summary || d->dst.is_scoped_or_group() || d->src.is_scoped_or_group()) {
        return std::nullopt;
    }
    Record r;
    r.summary = std::move(*summary);
    const std::size_t payload_from =
        std::min(bytes.size(), d->is_tcp ? d->tcp_payload_offset : d->transport_offset + 8);
    r.payload_hash = hash_bytes(bytes.subspan(payload_from));
    r.key = identity_key(*d, r);
    r.checksum_ok = verify_checksum(bytes, *d);
    return r;
}

std::vector<Record> read_capture(const std::filesystem::path& path) {
    char err[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, PcapCloser> pc(
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err));
    if (!pc) {
        throw UsageError("cannot read capture " + path.string() + ": " + err);
    }
    const int dlt = pcap_datalink(pc.get());
    if (!packet::is_supported(static_cast<std::uint32_t>(dlt))) {
        throw UsageError(path.string() + ": unsupported link type " + std::to_string(dlt));
    }
    const auto link = static_cast<packet::LinkType>(dlt);
    std::vector<Record> out;
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    std::uint32_t frame = 0;
    int rc = 0;
    while ((rc = pcap_next_ex(pc.get(), &hdr, &data)) == 1) {
        ++frame;
        auto r = record_frame(link, {data, hdr->caplen});
        if (!r) {
            continue;
        }
        r->frame = frame;
        r->time = static_cast<double>(hdr->ts.tv_sec) + static_cast<double>(hdr->ts.tv_usec) * 1e-9;
        out.push_back(std::move(*r));
    }
    if (rc == PCAP_ERROR) {
        throw UsageError(path.string() + ": damaged after record " + std::to_string(frame) + ": " +
                         pcap_geterr(pc.get()));
    }
    return out;
}

// Decides which source addresses belong to the client side.
std::set<packet::IpAddress> client_side(const std::vector<Record>& at_client,
                                        const std::vector<Record>& at_server) {
    std::map<packet::IpAddress, double> first_c, first_s;
    std::unordered_map<std::uint64_t, double> seen_c;
    for (const Record& r : at_client) {
        first_c.emplace(r.summary.src.address, r.time);
        seen_c.emplace(r.key, r.time);
    }
    for (const Record& r : at_server) {
        first_s.emplace(r.summary.src.address, r.time);
    }
    // Vote per address with packets seen at both ends: the vantage that saw it first is its side.
    std::map<packet::IpAddress, long> vote;
    for (const Record& r : at_server) {
        auto it = seen_c.find(r.key);
        if (it != seen_c.end()) {
            vote[r.summary.src.address] += it->second <= r.time ? 1 : -1;
        }
    }
    std::set<packet::IpAddress> out;
    for (const auto& [addr, t] : first_c) {
        (void)t;
        if (first_s.count(addr) == 0) {
            out.insert(addr);
        } else if (vote[addr] > 0) {
            out.insert(addr);
        }
    }
    return out;
}

DiffPacket make_packet(const Record& sent, const Record* received) {
    DiffPacket p;
    p.packet = sent.summary;
    p.sent_frame = sent.frame;
    p.sent_time = sent.time;
    if (received != nullptr) {
        p.received_frame = received->frame;
        p.received_time = received->time;
    }
    return p;
}

// Header fields of two records that differ; a bit flipped in transit changes exactly one.
int differing_fields(const packet::PacketRecord& a, const packet::PacketRecord& b) {
    return (a.src.address != b.src.address) + (a.dst.address != b.dst.address) +
           (a.src.port != b.src.port) + (a.dst.port != b.dst.port) + (a.protocol != b.protocol) +
           (a.tcp_flags != b.tcp_flags) + (a.seq != b.seq) + (a.ack != b.ack) + (a.len != b.len) +
           (a.ip_id != b.ip_id);
}

// An arrival nobody sent is a sent packet whose header was corrupted on the way: pair it with
// the earliest unmatched transmission, sent before it arrived, that it differs from in one field,
// and count that packet corrupted rather than dropped.
void pair_header_corruptions(DirectionDiff& out) {
    for (auto u = out.unexpected_packets.begin(); u != out.unexpected_packets.end();) {
        const auto drop =
            std::find_if(out.drops.begin(), out.drops.end(), [&](const DiffPacket& d) {
                return d.sent_time <= *u->received_time &&
                       differing_fields(d.packet, u->packet) <= 1;
            });
        if (drop == out.drops.end()) {
            ++u;
            continue;
        }
        DiffPacket corrupted = *drop;
        corrupted.received_frame = u->received_frame;
        corrupted.received_time = u->received_time;
        out.corruptions.push_back(corrupted);
        ++out.corrupted;
        out.drops.erase(drop);
        --out.dropped;
        u = out.unexpected_packets.erase(u);
        --out.unexpected;
    }
}

// Whether a packet sent after `pick` (up to `latest`) and already arrived is a different packet:
// identical copies (RSTs, IPv6 re-sends without an IP id) are told apart only by occurrence, so
// one of them "overtaking" another says nothing about the path.
bool overtaken_by_another(const std::vector<const Record*>& sent, const std::vector<bool>& matched,
                          std::size_t pick, std::size_t latest) {
    for (std::size_t i = pick + 1; i <= latest; ++i) {
        if (matched[i] && sent[i]->key != sent[pick]->key) {
            return true;
        }
    }
    return false;
}

DirectionDiff diff_direction(const std::vector<const Record*>& sent,
                             const std::vector<const Record*>& received) {
    DirectionDiff out;
    out.sent = sent.size();
    out.received = received.size();
    // Occurrences of each key at the sender, in capture order; matched flags alongside.
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> by_key;
    for (std::size_t i = 0; i < sent.size(); ++i) {
        by_key[sent[i]->key].push_back(i);
    }
    std::vector<bool> matched(sent.size(), false);
    std::optional<std::size_t> latest_sent_index;
    double delay_sum = 0;
    std::uint64_t delay_n = 0;
    for (const Record* r : received) {
        auto it = by_key.find(r->key);
        if (it == by_key.end()) {
            ++out.unexpected;
            DiffPacket p;
            p.packet = r->summary;
            p.received_frame = r->frame;
            p.received_time = r->time;
            out.unexpected_packets.push_back(p);
            continue;
        }
        // Latest unmatched transmission sent no later than this arrival; else the earliest.
        std::optional<std::size_t> pick;
        for (std::size_t idx : it->second) {
            if (!matched[idx] && sent[idx]->time <= r->time) {
                pick = idx;
            }
        }
        if (!pick) {
            for (std::size_t idx : it->second) {
                if (!matched[idx]) {
                    pick = idx;
                    break;
                }
            }
        }
        if (!pick) {
            // A copy the sender never made. It may also be the damaged one of the two (netem
            // duplicates before it corrupts, so the copy that arrives first can be the clean one).
            const Record& original = *sent[it->second.back()];
            ++out.duplicated;
            out.duplicates.push_back(make_packet(original, r));
            if (original.payload_hash != r->payload_hash ||
                (original.checksum_ok == true && r->checksum_ok == false)) {
                ++out.corrupted;
                out.corruptions.push_back(make_packet(original, r));
            }
            continue;
        }
        matched[*pick] = true;
        const Record& s = *sent[*pick];
        if (latest_sent_index && *pick < *latest_sent_index &&
            overtaken_by_another(sent, matched, *pick, *latest_sent_index)) {
            ++out.reordered;
            out.reorders.push_back(make_packet(s, r));
        }
        latest_sent_index = std::max(latest_sent_index.value_or(0), *pick);
        const bool bad_checksum = s.checksum_ok == true && r->checksum_ok == false;
        if (s.payload_hash != r->payload_hash || bad_checksum) {
            ++out.corrupted;
            out.corruptions.push_back(make_packet(s, r));
        }
        const double delay_ms = (r->time - s.time) * 1e3;
        out.delay_min_ms = std::min(out.delay_min_ms.value_or(delay_ms), delay_ms);
        out.delay_max_ms = std::max(out.delay_max_ms.value_or(delay_ms), delay_ms);
        delay_sum += delay_ms;
        ++delay_n;
    }
    for (std::size_t i = 0; i < sent.size(); ++i) {
        if (!matched[i]) {
            ++out.dropped;
            out.drops.push_back(make_packet(*sent[i], nullptr));
        }
    }
    pair_header_corruptions(out);
    if (delay_n > 0) {
        out.delay_mean_ms = delay_sum / static_cast<double>(delay_n);
    }
    return out;
}

std::string packet_line(const DiffPacket& p) {
    const packet::PacketRecord& s = p.packet;
    char buf[320];
    const std::string flags = s.is_tcp() ? " [" + packet::flag_names(s.tcp_flags) + "]" : "";
    std::string recv;
    if (p.received_frame) {
        char r[96];
        std::snprintf(r, sizeof r, " -> frame %u (+%.3f ms)", *p.received_frame,
                      (*p.received_time - p.sent_time) * 1e3);
        recv = r;
    }
    std::snprintf(buf, sizeof buf, "frame %u %s %s:%u -> %s:%u%s seq=%u ack=%u len=%u%s",
                  p.sent_frame, packet::protocol_name(s.protocol).c_str(),
                  s.src.address.to_string().c_str(), s.src.port, s.dst.address.to_string().c_str(),
                  s.dst.port, flags.c_str(), s.seq, s.ack, s.len, recv.c_str());
    return buf;
}

nlohmann::json packet_json(const DiffPacket& p) {
    nlohmann::json j;
    j["src"] = p.packet.src.address.to_string();
    j["dst"] = p.packet.dst.address.to_string();
    j["sport"] = p.packet.src.port;
    j["dport"] = p.packet.dst.port;
    j["proto"] = packet::protocol_name(p.packet.protocol);
    j["flags"] = p.packet.is_tcp() ? packet::flag_names(p.packet.tcp_flags) : "";
    j["seq"] = p.packet.seq;
    j["ack"] = p.packet.ack;
    j["len"] = p.packet.len;
    if (p.packet.ip_id) {
        j["ip_id"] = *p.packet.ip_id;
    }
    if (p.sent_frame != 0) {
        j["sent_frame"] = p.sent_frame;
        j["sent_time"] = p.sent_time;
    }
    if (p.received_frame) {
        j["received_frame"] = *p.received_frame;
        j["received_time"] = *p.received_time;
    }
    return j;
}

std::set<packet::IpAddress> parse_addresses(const std::vector<std::string>& texts,
                                            const char* side) {
    std::set<packet::IpAddress> out;
    for (const auto& text : texts) {
        auto a = packet::IpAddress::parse(text);
        if (!a) {
            throw UsageError(std::string(side) + " address \"" + text + "\" is not an IP address");
        }
        out.insert(*a);
    }
    return out;
}

}  // namespace

PathDiff diff_captures(const std::filesystem::path& client_pcap,
                       const std::filesystem::path& server_pcap, const DiffOptions& options) {
    const std::vector<Record> at_client = read_capture(client_pcap);
    const std::vector<Record> at_server = read_capture(server_pcap);
    std::set<packet::IpAddress> clients = parse_addresses(options.client_addresses, "client");
    if (clients.empty()) {
        clients = client_side(at_client, at_server);
    }
    const std::set<packet::IpAddress> servers = parse_addresses(options.server_addresses, "server");
    // With both ends known, only what goes from one to the other crosses the path: a packet for
    // the router itself (neighbour discovery to its global address, say) never reaches the far end.
    auto crosses = [&](const Record& r) {
        const auto& src = r.summary.src.address;
        const auto& dst = r.summary.dst.address;
        return servers.empty() || (clients.count(src) != 0U && servers.count(dst) != 0U) ||
               (servers.count(src) != 0U && clients.count(dst) != 0U);
    };
    std::vector<const Record*> c2s_sent, c2s_recv, s2c_sent, s2c_recv;
    for (const Record& r : at_client) {
        if (crosses(r)) {
            (clients.count(r.summary.src.address) ? c2s_sent : s2c_recv).push_back(&r);
        }
    }
    for (const Record& r : at_server) {
        if (crosses(r)) {
            (clients.count(r.summary.src.address) ? c2s_recv : s2c_sent).push_back(&r);
        }
    }
    PathDiff out;
    out.client_file = client_pcap.string();
    out.server_file = server_pcap.string();
    for (const auto& a : clients) {
        out.client_addresses.push_back(a.to_string());
    }
    out.client_to_server = diff_direction(c2s_sent, c2s_recv);
    out.server_to_client = diff_direction(s2c_sent, s2c_recv);
    return out;
}

std::string render_diff_text(const PathDiff& diff, const DiffOptions& options) {
    std::string out =
        "path diff: " + diff.client_file + " (client) <-> " + diff.server_file + " (server)\n";
    for (packet::Direction dir :
         {packet::Direction::client_to_server, packet::Direction::server_to_client}) {
        const DirectionDiff& d = diff.get(dir);
        char buf[400];
        std::snprintf(
            buf, sizeof buf,
            "%s: sent %llu, received %llu, dropped %llu, duplicated %llu, reordered %llu, "
            "corrupted %llu, unexpected %llu",
            to_string(dir).c_str(), static_cast<unsigned long long>(d.sent),
            static_cast<unsigned long long>(d.received), static_cast<unsigned long long>(d.dropped),
            static_cast<unsigned long long>(d.duplicated),
            static_cast<unsigned long long>(d.reordered),
            static_cast<unsigned long long>(d.corrupted),
            static_cast<unsigned long long>(d.unexpected));
        out += buf;
        if (d.delay_mean_ms) {
            std::snprintf(buf, sizeof buf, "; one-way delay min/mean/max %.3f/%.3f/%.3f ms",
                          *d.delay_min_ms, *d.delay_mean_ms, *d.delay_max_ms);
            out += buf;
        }
        out += '\n';
        auto list = [&](const char* name, const std::vector<DiffPacket>& packets) {
            for (std::size_t i = 0; i < packets.size() && i < options.max_listed; ++i) {
                out += std::string("  ") + name + ": " + packet_line(packets[i]) + '\n';
            }
            if (packets.size() > options.max_listed) {
                out += "  ... " + std::to_string(packets.size() - options.max_listed) + " more " +
                       name + "\n";
            }
        };
        list("dropped", d.drops);
        list("duplicated", d.duplicates);
        list("reordered", d.reorders);
        list("corrupted", d.corruptions);
        list("unexpected", d.unexpected_packets);
    }
    return out;
}

nlohmann::json render_diff_json(const PathDiff& diff, const DiffOptions& options) {
    nlohmann::json j;
    j["client_file"] = diff.client_file;
    j["server_file"] = diff.server_file;
    j["client_addresses"] = diff.client_addresses;
    for (packet::Direction dir :
         {packet::Direction::client_to_server, packet::Direction::server_to_client}) {
        const DirectionDiff& d = diff.get(dir);
        nlohmann::json x;
        x["sent"] = d.sent;
        x["received"] = d.received;
        x["dropped"] = d.dropped;
        x["duplicated"] = d.duplicated;
        x["reordered"] = d.reordered;
        x["corrupted"] = d.corrupted;
        x["unexpected"] = d.unexpected;
        if (d.delay_mean_ms) {
            x["delay_ms"] = {
                {"min", *d.delay_min_ms}, {"mean", *d.delay_mean_ms}, {"max", *d.delay_max_ms}};
        }
        auto list = [&](const std::vector<DiffPacket>& packets) {
            nlohmann::json a = nlohmann::json::array();
            for (std::size_t i = 0; i < packets.size() && i < options.max_listed; ++i) {
                a.push_back(packet_json(packets[i]));
            }
            return a;
        };
        x["drops"] = list(d.drops);
        x["duplicates"] = list(d.duplicates);
        x["reorders"] = list(d.reorders);
        x["corruptions"] = list(d.corruptions);
        x["unexpected_packets"] = list(d.unexpected_packets);
        j[to_string(dir)] = std::move(x);
    }
    return j;
}

}  // namespace tcplab::analyzer
