#pragma once
// A user-space TCP client on raw sockets: SYN -> SYN-ACK -> ACK against a real (kernel) peer, then
// N bytes in MSS-sized segments within the peer's window, then FIN / the peer's FIN / final ACK, or
// a RST. It keeps its own retransmission timer (RFC 6298, 1 s initial like Linux's SYN, backoff
// by doubling, Karn's rule), retransmits go-back-N from the oldest unacknowledged byte, and so
// survives a lossy path. While it runs, the local kernel's RSTs for the crafted port are dropped
// by an nftables rule (RstSuppressor; iptables-legacy where nf_tables lacks the inet family) in
// the current network namespace.
//
// Thread use: the scenario runner calls run_handshake() from a thread inside the client namespace
// (tcplab::ScopedNetns); the sockets and the rule then live in that namespace.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "generator/detail/syn_settings.hpp"
#include "packet/ip_address.hpp"
#include "packet/tcp.hpp"

namespace tcplab::gen {

// The SYN's settings; timestamps, when agreed, go on every segment.
struct HandshakeOptions : SynSettings {
    std::uint64_t data_bytes = 0;              // bytes to send after the handshake
    bool fin = false;                          // close with FIN and wait for the peer's FIN
    bool rst = false;                          // abort with RST (after the data is acked)
    std::chrono::milliseconds timeout{10000};  // bound on the whole exchange
    int max_retransmissions = 8;               // of one segment, before giving up
    std::chrono::milliseconds linger{500};  // after the final ACK: re-ACK a retransmitted peer FIN
    bool suppress_rst = true;               // install the nftables rule (tests may turn it off)
};

enum class HandshakeOutcome : std::uint8_t {
    completed,  // everything asked for happened (handshake, data acked, FIN both ways or RST sent)
    reset,      // the peer answered with RST (e.g. closed port)
    timeout,    // no (complete) answer within --timeout or max retransmissions
};
const char* to_string(HandshakeOutcome outcome);

struct HandshakeResult {
    bool completed = false;
    HandshakeOutcome outcome = HandshakeOutcome::timeout;
    std::string reason;                   // one human line: "completed", "RST from peer ...", ...
    std::vector<std::string> transcript;  // Wireshark info-column style, see transcript.hpp
    unsigned retransmissions = 0;         // segments we sent again
    std::uint64_t bytes_acked = 0;        // payload bytes the peer acknowledged
    std::uint16_t sport = 0;
    bool handshake_completed = false;  // SYN-ACK received and ACKed
    bool peer_fin_received = false;
    packet::TcpOptions peer_syn_options;                     // options of the SYN-ACK
    std::optional<std::chrono::microseconds> handshake_rtt;  // SYN -> SYN-ACK (first try only)
};

// Throws EnvironmentError without CAP_NET_RAW / nft, UsageError on inconsistent options.
// Network outcomes (RST, silence) are results, not exceptions.
HandshakeResult run_handshake(const HandshakeOptions& options);

// The payload byte at stream offset i (a recognisable, checkable pattern).
std::uint8_t payload_byte(std::uint64_t offset);

}  // namespace tcplab::gen
