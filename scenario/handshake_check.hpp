#pragma once
// The check `handshake_verdicts`: per TCP connection, the analyzer's view of the handshake and the
// teardown (its per-stream summary and its frame verdicts) against the raw frames of both
// captures, and the client's iRTT against the configured delay plus what the wire measured.
#include "scenario/checks.hpp"

namespace tcplab::scenario {

// How far a SYN's or SYN-ACK's one-way delay measured on the wire may lie outside what the
// configured delay allows: the forwarder thread's wake-up or netem's timer on a loaded host, and
// the captures' own timestamping. Tight enough to catch a handshake that waited for something
// else on the path (a neighbour resolution through the delayed link costs a whole round trip).
inline constexpr double kPathSlackS = 0.005;

// A SYN-ACK that leaves the server more than this after the SYN copy before it arrived is not an
// answer to that SYN but a timer re-send: the iRTT it produces is no round trip of the path.
inline constexpr double kAnswerWindowS = 0.010;

Check handshake_verdicts(const CheckInputs& in);

}  // namespace tcplab::scenario
