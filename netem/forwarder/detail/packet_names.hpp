#pragma once
// PacketNames: the identity the fault decider draws by (netem/forwarder/detail/fault_decider.hpp),
// built only from what repeats when the experiment is run again: not the ephemeral ports or the
// random ISN (a flow is named by its order of appearance in this direction, a sequence number
// relative to the flow's first one), not IP id, TSval or window (timing). So the same seed drops
// the same segments in every run, even when timing shifts.
//
// A pure ACK (no payload, no SYN/FIN/RST) is also named by what it acknowledges, relative to the
// first ack number of its flow: otherwise every pure ACK of a flow has the same identity and its
// draw depends on how many ACKs came before it — a count that delayed and quick ACKs make
// timing-dependent. Named by its ack, the ACK of byte N gets the same draw in every run that
// sends it (its duplicates are told apart by occurrence, as identical retransmissions are). Its
// own sequence number is left out: it is whatever its sender's application had written by then
// (a TLS server's session tickets, written while the client's upload is already being ACKed, go
// out before some of those ACKs in one run and after all of them in the next), which is timing.
// Segments with payload are not named by their ack: a data sender's ack moves with what it has
// received, which is timing.
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>

#include "netem/forwarder/detail/fault_decider.hpp"
#include "packet/dissect.hpp"

namespace tcplab::netem {

// One per direction (a flow's order of appearance is counted per direction).
class PacketNames {
public:
    // `frame` is the whole Ethernet frame `d` was dissected from (non-TCP payloads are hashed).
    PacketFacts facts_of(const packet::Dissected& d, std::span<const std::uint8_t> frame);

private:
    struct Flow {
        std::uint32_t ordinal = 0;
        std::uint32_t base_seq = 0;
        std::optional<std::uint32_t> base_ack;  // the first ack number the flow sent
    };
    std::unordered_map<std::uint64_t, Flow> flows_;
    std::uint32_t next_ordinal_ = 0;
};

}  // namespace tcplab::netem
