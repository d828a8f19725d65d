#pragma once
// Dual-vantage path diff: the same flows captured at the client and at the server interface,
// matched packet by packet, say what the path between them did — per direction, which packets
// it dropped (sent at one end, never seen at the other), duplicated, reordered or corrupted,
// and with what one-way delay (both captures come from one host clock). It works for any
// backend (tc netem or the userspace forwarder) and must agree with the forwarder's ledger.
//
// Identity of a packet: addresses, protocol, ports, and for TCP seq, ack, flags, payload length
// and the timestamps option; the IPv4 id when present (Linux gives every transmission a new one,
// so an identical retransmission is still a different packet). Identical identities are matched
// by occurrence: each arrival takes the latest not-yet-matched transmission sent before it
// (so "first copy lost, retransmission arrived" is told apart from "both arrived"); an arrival
// with none left is a duplicate. Corrupted = matched, but the payload differs or the receiver's
// L4 checksum is wrong while the sender's was right; or an arrival nobody sent that differs in
// one header field from a packet that never arrived (a bit flipped in its header). Reordered =
// arrived after a packet that was sent later (RFC 4737's "late" packets).
//
// Which end is which: an address seen as a source only at the client vantage is a client
// address (and likewise for the server); an address seen at both is placed by where its packets
// appear first. DiffOptions::client_addresses overrides this.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "packet/direction.hpp"
#include "packet/packet_record.hpp"

namespace tcplab::analyzer {

struct DiffOptions {
    std::vector<std::string> client_addresses;  // optional override, e.g. {"198.18.7.2"}
    // Optional: with it, only packets between a client and a server address are compared (what
    // the ends send to the router itself never crosses the path).
    std::vector<std::string> server_addresses;
    std::size_t max_listed = 1000;  // per list, in the rendering (counts are exact)
};

struct DiffPacket {
    packet::PacketRecord packet;
    std::uint32_t sent_frame = 0;                 // 1-based record number in the sender's capture
    double sent_time = 0;                         // capture timestamp, seconds (epoch)
    std::optional<std::uint32_t> received_frame;  // in the receiver's capture
    std::optional<double> received_time;
};

struct DirectionDiff {
    std::uint64_t sent = 0;      // IP packets of this direction at the sending vantage
    std::uint64_t received = 0;  // ... at the receiving vantage
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t reordered = 0;
    std::uint64_t corrupted = 0;
    std::uint64_t unexpected = 0;  // arrived, never sent, and like no lost packet
    std::vector<DiffPacket> drops, duplicates, reorders, corruptions, unexpected_packets;
    std::optional<double> delay_min_ms, delay_mean_ms, delay_max_ms;  // matched packets
};

struct PathDiff {
    std::string client_file;
    std::string server_file;
    std::vector<std::string> client_addresses;  // as decided (or given)
    DirectionDiff client_to_server;
    DirectionDiff server_to_client;
    const DirectionDiff& get(packet::Direction d) const {
        return d == packet::Direction::client_to_server ? client_to_server : server_to_client;
    }
};

// Throws UsageError naming the file when a capture cannot be read or has an unsupported link type.
PathDiff diff_captures(const std::filesystem::path& client_pcap,
                       const std::filesystem::path& server_pcap, const DiffOptions& options = {});

std::string render_diff_text(const PathDiff& diff, const DiffOptions& options = {});
nlohmann::json render_diff_json(const PathDiff& diff, const DiffOptions& options = {});

}  // namespace tcplab::analyzer
