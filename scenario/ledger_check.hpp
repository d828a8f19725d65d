#pragma once
// The userspace forwarder's ledger as a cross-check of the wire truth: every action it logged must
// show on the wire, and every loss the wire shows must be in it (or be one of the packets its
// receive ring overflowed on, which it counts but cannot name). A wire fault the ledger names is
// marked "ledger+wire" and takes the ledger's reason.
#include <vector>

#include "netem/forwarder/forwarder.hpp"
#include "netem/impair/ledger.hpp"
#include "scenario/checks.hpp"
#include "scenario/wire_truth.hpp"

namespace tcplab::scenario {

// `truth`: the wire truth of the run; its faults the ledger names are marked in place.
// `captures_stopped_t`: when the captures stopped, in the ledger's seconds (since the forwarder
// started); a ledger action at or after it that the wire cannot show is counted apart, not failed.
Check ledger_matches_wire(const std::vector<netem::LedgerEntry>& ledger, WireTruth& truth,
                          const netem::ForwarderStats& stats,
                          std::optional<double> captures_stopped_t = std::nullopt);

}  // namespace tcplab::scenario
