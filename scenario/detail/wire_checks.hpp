#pragma once
// The checks that judge the analyzer's re-send verdicts against the wire truth: each loss
// re-sent and flagged, no re-send the path does not explain, the receiver's out-of-order and
// duplicate verdicts on what the path reordered and duplicated.
#include <cstdint>
#include <string>

#include "scenario/checks.hpp"

namespace tcplab::scenario::detail {

Check drops_retransmitted(const CheckInputs& in);
// expect-retransmissions = none: no flagged frame at either end that the wire does not explain.
Check unexplained_retransmissions(const CheckInputs& in);
// The c2s reorders (out_of_order) or duplicates of data segments, each flagged at the server.
Check receiver_flags_path_faults(const CheckInputs& in, PathFault::Kind kind);

// The Linux minimum RTO (TCP_RTO_MIN): no timer re-send can come sooner after the original
// (plus the round trip).
constexpr double kMinRtoS = 0.2;

}  // namespace tcplab::scenario::detail
