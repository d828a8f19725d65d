#include "scenario/vantage.hpp"

#include <pcap/pcap.h>

#include <memory>
#include <unordered_map>

#include "analyzer/engine.hpp"
#include "analyzer/flags.hpp"
#include "base/errors.hpp"
#include "packet/dissect.hpp"

namespace tcplab::scenario {

namespace {

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
    void stream_finished(const analyzer::Conversation& /*conversation*/) override {}

    std::unordered_map<std::uint64_t, Row> rows;
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
    analyzer::Engine engine(link, /*collect_summaries=*/false, sink);
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
