#pragma once
// Rendering of one finished stream, and the explanation of one verdict, shared by the text and
// JSON reports.
#include <nlohmann/json.hpp>
#include <string>

#include "analyzer/detail/output.hpp"
#include "analyzer/detail/stream_table.hpp"

namespace tcplab::analyzer {

// "0x012 (SYN, ACK)"
std::string tcp_flags_hex(std::uint16_t flags);
// "SYN, ACK" (Wireshark's order: high bits first)
std::string tcp_flag_names(std::uint16_t flags);
// "MSS=1460 SACK_PERM TSval=1 TSecr=0 WS=128"
std::string options_text(const PacketView& p);
// "198.18.1.2:40000" / "[fd7c::2]:80"
std::string endpoint_text(const Conversation& c, int dir);
// Why the rules fired, in words, e.g. "seq 1449 below next expected 2897, 312.0 ms after ...".
std::string explain(const Conversation& c, const Event& e);
void append_explanation(std::string& out, const Conversation& c, const Event& e);
// "312.000 ms": printf's "%.3f ms" of nanos / 1e6, to the byte.
void append_milliseconds3(std::string& out, Nanos nanos);

// Appends to out's buffer, flushing it as it fills (an event table can be megabytes).
void render_stream_text(const Conversation& c, Output& out);
nlohmann::json render_stream_json(const Conversation& c);

}  // namespace tcplab::analyzer
