#include "scenario/vantage.hpp"

#include <pcap/pcap.h>

#include <memory>
#include <unordered_map>

#include "analyzer/engine.hpp"
#include "analyzer/flags.hpp"
#include "base/errors.hpp"
#include "packet/dissect.hpp"
#include "packet/tcp.hpp"

namespace tcplab::scenario {

namespace {

SynOptions syn_options_of(const packet::TcpOptions& o) {
    return {o.mss, o.window_scale, o.sack_permitted, o.timestamps};
}

SynOptions syn_options_of(const analyzer::PacketView& p) {
    return {p.mss, p.window_scale, p.sack_permitted, p.timestamps};
}

StreamFacts stream_facts(const analyzer::Conversation& c) {
    StreamFacts out;
    out.stream = c.stream;
    out.a = {c.addr[0], c.port[0]};
    out.completeness = c.completeness;
    if (c.summary == nullptr) {
        return out;
    }
    const analyzer::StreamSummary& s = *c.summary;
    out.summarised = true;
    out.irtt = static_cast<double>(s.irtt) / 1e9;
    if (s.syn) {
        out.syn_frame = s.syn->frame;
        out.syn_options = syn_options_of(*s.syn);
    }
    if (s.synack) {
        out.synack_frame = s.synack->frame;
        out.synack_options = syn_options_of(*s.synack);
    }
    out.ack_frame = s.irtt_frame;
    out.syn_count = s.syn_count;
    out.synack_count = s.synack_count;
    out.first_fin_frame = s.first_fin_frame;
    out.first_fin_by_a = s.first_fin_dir == 0;
    out.rst_by_a = s.rst_seen[0];
    out.rst_by_b = s.rst_seen[1];
    return out;
}

// Collects the engine's verdicts by frame number; joined with the dissected facts afterwards.
class VerdictSink : public analyzer::FrameSink {
public:
    struct Row {
        std::uint32_t stream = 0;
        std::uint32_t flags = 0;
        double rto = 0;
        std::uint64_t rto_frame = 0;
    };
    void tcp_frame(std::uint64_t frame, std::uint32_t stream,
                   const analyzer::Verdict* verdict) override {
        Row row;
        row.stream = stream;
        if (verdict != nullptr) {
            row.flags = verdict->flags;
            if (verdict->has_rto) {
                row.rto = static_cast<double>(verdict->rto) / 1e9;
                row.rto_frame = verdict->rto_frame;
            }
        }
        rows.emplace(frame, row);
    }
    void stream_finished(const analyzer::Conversation& conversation) override {
        streams.push_back(stream_facts(conversation));
    }

    std::unordered_map<std::uint64_t, Row> rows;
    std::vector<StreamFacts> streams;
};

}  // namespace

bool flagged_as_resend(std::uint32_t verdicts) {
    return (verdicts & (analyzer::flag::kRetransmission | analyzer::flag::kFastRetransmission |
                        analyzer::flag::kSpuriousRetransmission | analyzer::flag::kOutOfOrder)) !=
           0;
}

Vantage read_vantage(const std::filesystem::path& pcap) {
    Vantage out;
    out.file = pcap;
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, decltype(&pcap_close)> handle(
        pcap_open_offline_with_tstamp_precision(pcap.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf),
        pcap_close);
    if (!handle) {
        throw UsageError(pcap.string() + ": " + errbuf);
    }
    const auto link = static_cast<packet::LinkType>(pcap_datalink(handle.get()));
    VerdictSink sink;
    // Summaries (handshake, completeness, teardown per stream) without their event lists: the
    // checks read the verdicts per frame, so the events would only cost memory.
    analyzer::Engine engine(link, /*collect_summaries=*/true, sink, /*max_events_per_stream=*/0);
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int rc = 0;
    while ((rc = pcap_next_ex(handle.get(), &header, &data)) == 1) {
        ++out.records;
        const analyzer::Nanos ns =
            static_cast<analyzer::Nanos>(header->ts.tv_sec) * 1'000'000'000 + header->ts.tv_usec;
        const std::span<const std::uint8_t> bytes(data, header->caplen);
        engine.process({out.records, ns, bytes});
        const auto d = packet::dissect(link, bytes);
        if (!d || !d->is_tcp) {
            continue;
        }
        if ((d->tcp.flags & packet::tcp_flag::kSyn) != 0) {
            out.syn_options.emplace(out.records, syn_options_of(d->tcp.options));
        }
        if (auto record = packet::record_of(*d, bytes)) {
            FrameFacts f{std::move(*record)};
            f.frame = out.records;
            f.t = static_cast<double>(ns) / 1e9;
            out.frames.push_back(f);
        }
    }
    if (rc == PCAP_ERROR) {
        out.warning = pcap.string() + ": damaged after record " + std::to_string(out.records) +
                      ": " + pcap_geterr(handle.get());
    }
    engine.finish();
    out.streams = std::move(sink.streams);
    for (auto& f : out.frames) {
        if (const auto it = sink.rows.find(f.frame); it != sink.rows.end()) {
            f.stream = it->second.stream;
            f.verdicts = it->second.flags;
            f.rto = it->second.rto;
            f.rto_frame = it->second.rto_frame;
        }
    }
    return out;
}

}  // namespace tcplab::scenario
