#include "analyzer/pcap_reader.hpp"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "packet/errors.hpp"

namespace tcplab::analyzer {

PcapReader::PcapReader(const std::string& path) : path_(path) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    // libpcap says "No such file or directory" etc. for the OS errors and "unknown file format"
    // for something that is not a capture; both are bad input for us.
    handle_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO,
                                                      errbuf);
    if (handle_ == nullptr) {
        throw UsageError("cannot read capture file '" + path + "': " + errbuf);
    }
    link_type_ = static_cast<std::uint32_t>(pcap_datalink(handle_));
}

PcapReader::~PcapReader() {
    if (handle_ != nullptr) pcap_close(handle_);
}

std::string PcapReader::link_type_name() const {
    const char* name = pcap_datalink_val_to_name(static_cast<int>(link_type_));
    return name != nullptr ? name : "unknown";
}

std::optional<CaptureRecord> PcapReader::next() {
    if (stop_) return std::nullopt;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == 1) {
        CaptureRecord r;
        r.number = ++count_;
        r.time_ns = static_cast<std::int64_t>(header->ts.tv_sec) * 1'000'000'000LL +
                    static_cast<std::int64_t>(header->ts.tv_usec);  // tv_usec holds ns here
        r.wire_length = header->len;
        r.data = {data, header->caplen};
        return r;
    }
    if (rc == PCAP_ERROR_BREAK) return std::nullopt;  // -2: clean end of file
    ReadStop stop;
    stop.record = count_ + 1;
    std::FILE* file = pcap_file(handle_);
    stop.offset = file != nullptr ? std::ftell(file) : -1;
    stop.message = pcap_geterr(handle_);
    stop_ = std::move(stop);
    return std::nullopt;
}

}  // namespace tcplab::analyzer
