#pragma once
// The check `handshake_verdicts`: per TCP connection, the analyzer's view of the handshake and the
// teardown (its per-stream summary and its frame verdicts) against the raw frames of both
// captures, and the client's iRTT against the configured delay plus what the wire measured.
#include "scenario/checks.hpp"

namespace tcplab::scenario {

// How far a SYN's or SYN-ACK's one-way delay measured on the wire may lie outside what the
// configured delay allows: the host's share of the path. Measured on a loaded 2-core host with the
// userspace forwarder (delay100, 419 packets): median 0.1 ms late, p99 2.5 ms, worst 5.2 ms (the
// SYN-ACK itself); a direction's first packet also waits for the forwarder's own ARP (up to 3 ms
// seen). Twice the worst keeps the check about the path: a neighbour resolution through the
// delayed link costs the SYN a whole configured round trip (+100 ms in delay100 on tc).
inline constexpr double kPathSlackS = 0.010;

// A SYN-ACK that leaves the server more than this after the SYN copy before it arrived is not an
// answer to that SYN but a timer re-send: the iRTT it produces is no round trip of the path.
inline constexpr double kAnswerWindowS = 0.010;

Check handshake_verdicts(const CheckInputs& in);

}  // namespace tcplab::scenario
