#include "generator/probe.hpp"

#include "base/errors.hpp"
#include "generator/detail/channel.hpp"
#include "generator/detail/transcript.hpp"

namespace tcplab::gen {

namespace flag = packet::tcp_flag;
using Clock = std::chrono::steady_clock;

const char* to_string(ProbeReply reply) {
    switch (reply) {
        case ProbeReply::syn_ack:
            return "open (SYN-ACK)";
        case ProbeReply::rst:
            return "closed (RST)";
        case ProbeReply::none:
            return "no answer (filtered or no host)";
    }
    return "?";
}

namespace {

SynProbeAnswer probe_once(const SynProbeOptions& options, std::uint16_t sport,
                          Transcript& transcript) {
    SegmentChannel channel(ChannelConfig{options.src, sport, options.dst, options.ttl});
    RelativeBase base;
    base.local_isn = packet::SeqNum(options.isn.value_or(random_u32()));
    packet::TcpHeader syn;
    syn.seq = base.local_isn;
    syn.flags = options.flags;
    syn.window = options.window;
    std::optional<packet::TcpTimestamps> ts;
    if (options.timestamps) {
        ts = packet::TcpTimestamps{random_u32(), 0};
    }
    syn.option_list = packet::linux_syn_options(options.mss, options.sack, ts, options.wscale);
    syn.option_list.insert(syn.option_list.end(), options.extra_options.begin(),
                           options.extra_options.end());
    const auto sent_at = Clock::now();
    if (!channel.send(syn, {})) {
        transcript.note(sent_at, "send failed: " + channel.last_error());
    }
    transcript.add(sent_at, Direction::sent,
                   format_segment(channel.last_sent(), 0, Direction::sent, base, syn.window, false),
                   false);
    SynProbeAnswer answer;
    answer.sport = sport;
    const auto deadline = sent_at + options.timeout;
    while (Clock::now() < deadline) {
        auto in =
            channel.receive(std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
        if (!in) {
            break;
        }
        const auto& tcp = in->packet.tcp;
        const bool answers_us = tcp.has(flag::kAck) && tcp.ack == base.local_isn + 1;
        if (tcp.has(flag::kSyn) && answers_us) {
            base.peer_isn = tcp.seq;
            base.peer_isn_known = true;
            answer.reply = ProbeReply::syn_ack;
        } else if (tcp.has(flag::kRst) && answers_us) {
            answer.reply = ProbeReply::rst;
        }
        transcript.add(in->at, Direction::received,
                       format_segment(tcp, static_cast<std::uint32_t>(in->payload.size()),
                                      Direction::received, base, tcp.window, false),
                       false);
        if (answer.reply != ProbeReply::none) {
            answer.header = tcp;
            answer.rtt = std::chrono::duration_cast<std::chrono::microseconds>(in->at - sent_at);
            return answer;
        }
    }
    transcript.note(Clock::now(),
                    "no answer within " + std::to_string(options.timeout.count()) + " ms");
    return answer;
}

}  // namespace

SynProbeResult run_syn_probe(const SynProbeOptions& options) {
    check_same_family(options.src, options.dst.address);
    if (options.count == 0 || options.count > 1000) {
        throw UsageError("--count must be 1..1000 for syn probes");
    }
    SynProbeResult result;
    Transcript transcript;
    const std::uint16_t first = options.sport.value_or(random_port());
    for (unsigned i = 0; i < options.count; ++i) {
        result.answers.push_back(
            probe_once(options, static_cast<std::uint16_t>(first + i), transcript));
    }
    result.transcript = transcript.lines();
    return result;
}

}  // namespace tcplab::gen
