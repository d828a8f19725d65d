// Reproducibility (issue 8, item 5): `tcplab scenario run NAME --backend userspace --repeat 2`
// runs a scenario twice with the same seed, and the path must drop the same data segments both
// times — named by direction, server port, relative seq, length and transmission number, as
// report.json's `injected` list names them. Pinned to the userspace backend: tc netem before
// Linux 6.7 ignores the seed (report.json's `reproducibility` says so). Real kernel TCP on both
// ends, so this holds only because the decider names segments by what repeats (not ports, ISNs or
// timing) and the senders make segment boundaries independent of timing: kernel bulk (the main job,
// loss10) sends one corked MSS per send(); mTLS bulk (tls-loss10) runs corked with buffers that
// never fill (scenario/traffic_kernel_bulk.cpp, scenario/traffic.cpp).
//
// Pure ACKs differ between runs: which bytes a receiver acknowledges (delayed ACKs, quick ACKs)
// and how many duplicates it sends depend on timing. A pure ACK is named by the byte it
// acknowledges and the occurrence of that ack (netem/forwarder/detail/packet_names.hpp), so every
// pure ACK that both runs sent (read from the senders' captures) must have got the same verdict in
// both. What differs is printed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "packet/ip_address.hpp"
#include "packet/tcp.hpp"
#include "scenario/vantage.hpp"
#include "tests/support/files.hpp"
#include "tests/support/report_text.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/support/shell.hpp"
#include "tests/support/svg_check.hpp"

namespace {

namespace fs = std::filesystem;

namespace tf = tcplab::packet::tcp_flag;

struct RunFaults {
    std::set<std::string> data_sent;       // every data segment copy, "c2s 5001 seq 1 len 1448 #1"
    std::set<std::string> data_drops;      // the copies the path dropped, named the same way
    std::set<std::string> injected;        // every injected fault, PSH & co. left out
    std::set<std::string> pure_acks_sent;  // named like pure_ack_drops, from the senders' captures
    std::set<std::string> pure_ack_drops;
};

// As the path's decider names a pure ACK (netem/forwarder/detail/packet_names.hpp): by the byte it
// acknowledges and its occurrence, not by its own seq (which moves with what its sender's
// application had written by then: timing).
std::string pure_ack_name(const std::string& direction, std::uint16_t server_port,
                          std::uint32_t rel_ack, std::uint32_t occurrence) {
    return direction + " " + std::to_string(server_port) + " ack " + std::to_string(rel_ack) +
           " #" + std::to_string(occurrence);
}

// Every pure ACK the side at `vantage` sent: relative numbers from the ISNs in that capture, and
// the occurrence of the same (connection, ack), as the path's decider counts them.
void collect_pure_acks(const fs::path& pcap, const std::string& own_address,
                       const std::string& direction, std::set<std::string>& out) {
    const tcplab::scenario::Vantage vantage = tcplab::scenario::read_vantage(pcap);
    std::map<std::string, std::uint32_t> isn;  // "src>dst" endpoint text -> ISN of that side
    std::map<std::string, std::uint32_t> occurrences;
    for (const auto& f : vantage.frames) {
        const std::string from = f.src.to_string();
        const std::string to = f.dst.to_string();
        if ((f.tcp_flags & tf::kSyn) != 0) {
            isn.try_emplace(from + ">" + to, f.seq);
        }
        const bool pure_ack = f.len == 0 && (f.tcp_flags & tf::kAck) != 0 &&
                              (f.tcp_flags & (tf::kSyn | tf::kFin | tf::kRst)) == 0;
        const auto own = isn.find(from + ">" + to);
        const auto peer = isn.find(to + ">" + from);
        if (!pure_ack || f.src.address.to_string() != own_address || own == isn.end() ||
            peer == isn.end()) {
            continue;
        }
        const std::uint16_t server_port = direction == "c2s" ? f.dst.port : f.src.port;
        const std::uint32_t rel_ack = f.ack - peer->second;
        const std::uint32_t n = ++occurrences[from + ">" + to + " " + std::to_string(rel_ack)];
        out.insert(pure_ack_name(direction, server_port, rel_ack, n));
    }
}

RunFaults read_run(const fs::path& dir) {
    std::ifstream in(dir / "report.json");
    const auto report = nlohmann::json::parse(in);
    RunFaults run;
    // The metrics' run-independent names: a drop is "... len 1448 drop #2", a copy sent
    // "... len 1448 #2" (relative seq, length, transmission number, from the sender's capture).
    run.data_sent = report.at("metrics").at("data_segments_sent").get<std::set<std::string>>();
    for (std::string drop : report.at("metrics").at("data_segments_dropped")) {
        if (const auto at = drop.find(" drop #"); at != std::string::npos) drop.erase(at, 5);
        run.data_drops.insert(drop);
    }
    const auto& topology = report.at("setup").at("topology");
    collect_pure_acks(dir / "client.pcap", topology.at("client").get<std::string>(), "c2s",
                      run.pure_acks_sent);
    collect_pure_acks(dir / "server.pcap", topology.at("server").get<std::string>(), "s2c",
                      run.pure_acks_sent);
    for (const auto& fault : report.at("injected")) {
        if (fault.contains("relative_ack") && fault.value("action", "") == "drop") {
            const std::string direction = fault.value("direction", "");
            const std::string server =
                direction == "c2s" ? fault.value("dst", "") : fault.value("src", "");
            const auto server_at = tcplab::packet::Endpoint::parse(server);
            if (!server_at) {
                ADD_FAILURE() << "an injected fault with no server endpoint: '" << server << "'";
                continue;
            }
            run.pure_ack_drops.insert(pure_ack_name(direction, server_at->port,
                                                    fault.value("relative_ack", 0U),
                                                    fault.value("transmission", 0U)));
        }
        std::string flags = fault.value("flags", "");
        if (const auto psh = flags.find("PSH, "); psh != std::string::npos) flags.erase(psh, 5);
        // Named as the decider names them: a pure ACK by its ack, anything else by its seq.
        const std::string name = fault.contains("relative_ack")
                                     ? " ack " + std::to_string(fault.value("relative_ack", 0L))
                                     : " seq " + std::to_string(fault.value("relative_seq", 0L));
        run.injected.insert(fault.value("direction", "") + " " + fault.value("action", "") + name +
                            " " + flags + " len " + std::to_string(fault.value("len", 0)) + " #" +
                            std::to_string(fault.value("transmission", 0)));
    }
    return run;
}

// TCP's timing decides which packets a run sends (one run may re-send a segment a fifth time the
// other never re-sent at all); the harness decides their fate. So every packet both runs sent met
// the same fate in both, and every drop is a packet its sender's capture shows. Returns how many
// packets both sent and how many of those both dropped, for the caller's bounds.
struct SharedFates {
    std::size_t sent_by_both = 0;
    std::size_t dropped_in_both = 0;
};
SharedFates expect_same_fate_where_both_sent(const std::set<std::string>& sent_1,
                                             const std::set<std::string>& dropped_1,
                                             const std::set<std::string>& sent_2,
                                             const std::set<std::string>& dropped_2,
                                             const std::string& what) {
    std::set<std::string> both;
    std::set_intersection(sent_1.begin(), sent_1.end(), sent_2.begin(), sent_2.end(),
                          std::inserter(both, both.begin()));
    SharedFates out;
    out.sent_by_both = both.size();
    for (const auto& packet : both) {
        const bool dropped_first = dropped_1.count(packet) != 0;
        EXPECT_EQ(dropped_first, dropped_2.count(packet) != 0) << what << " " << packet;
        out.dropped_in_both += dropped_first ? 1 : 0;
    }
    for (const auto& [sent, dropped] : {std::pair{&sent_1, &dropped_1}, {&sent_2, &dropped_2}}) {
        for (const auto& drop : *dropped) {
            EXPECT_EQ(sent->count(drop), 1U)
                << "a dropped " << what << " its sender's capture does not show: " << drop;
        }
    }
    return out;
}

std::string difference(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::vector<std::string> only;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only));
    std::string out;
    for (const auto& s : only) out += "    " + s + "\n";
    return out.empty() ? "    (none)\n" : out;
}

class SameSeed : public ::testing::TestWithParam<const char*> {};

TEST_P(SameSeed, DropsTheSameDataSegmentsInEveryRun) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (scenario run creates namespaces)";
    const tcplab::test_support::ScratchDir scratch("same-seed");
    const fs::path& out = scratch.path();
    const std::string command = std::string(TCPLAB_BINARY) + " scenario run " + GetParam() +
                                " --backend userspace --repeat 2 --quiet --out " + out.string() +
                                "/runs 2>&1";
    const auto run = tcplab::test_support::shell(command);
    const std::string& output = run.out;
    std::string failed_checks;  // the scratch dir goes with the test: keep what failed
    for (const char* r : {"run-1", "run-2"}) {
        failed_checks += tcplab::test_support::failing_checks(out / "runs" / r / "report.txt",
                                                              std::string(r) + ": ");
    }
    ASSERT_EQ(run.exit_code, 0) << output << failed_checks;
    for (const char* r : {"run-1", "run-2"}) {
        // The run's time-sequence graph (the analyzer's plot code, with the path's drops) is
        // legible and renders.
        const fs::path svg = out / "runs" / r / "timeseq.svg";
        std::string problems;
        for (const auto& p :
             tcplab::test_support::svg_problems(tcplab::test_support::read_file(svg)))
            problems += "  " + p + "\n";
        EXPECT_EQ(problems, "") << svg;
        const int rendered = tcplab::test_support::render_svg(svg, svg.string() + ".png");
        EXPECT_TRUE(rendered == 0 || rendered == -1) << "rsvg-convert " << svg;
    }

    const RunFaults first = read_run(out / "runs" / "run-1");
    const RunFaults second = read_run(out / "runs" / "run-2");
    EXPECT_GE(first.data_drops.size(), 5U)
        << "10% loss over a transfer of 300-500 kB drops a few dozen segments";
    const SharedFates data = expect_same_fate_where_both_sent(
        first.data_sent, first.data_drops, second.data_sent, second.data_drops, "data segment");
    EXPECT_GE(data.sent_by_both, 150U) << "both runs send most of the same 300 kB";
    EXPECT_GE(data.dropped_in_both, 5U) << "the compared copies include dropped ones";
    EXPECT_NE(output.find("every data segment two runs both sent had the same fate in both"),
              std::string::npos)
        << output;
    const SharedFates acks =
        expect_same_fate_where_both_sent(first.pure_acks_sent, first.pure_ack_drops,
                                         second.pure_acks_sent, second.pure_ack_drops, "pure ACK");
    EXPECT_GE(acks.sent_by_both, 20U) << "both runs acknowledge many of the same bytes";
    std::cout << "pure ACKs sent in both runs: " << acks.sent_by_both << " (run 1 "
              << first.pure_acks_sent.size() << ", run 2 " << second.pure_acks_sent.size()
              << "), dropped in both: " << acks.dropped_in_both << "\n";
    std::cout << "data segment copies sent in both runs: " << data.sent_by_both
              << ", dropped in both: " << data.dropped_in_both << " (run 1 dropped "
              << first.data_drops.size() << ", run 2 " << second.data_drops.size() << ")\n"
              << "injected faults: run 1 " << first.injected.size() << ", run 2 "
              << second.injected.size() << "\n  only in run 1:\n"
              << difference(first.injected, second.injected) << "  only in run 2:\n"
              << difference(second.injected, first.injected);
}

INSTANTIATE_TEST_SUITE_P(Scenario, SameSeed, ::testing::Values("loss10", "tls-loss10"),
                         [](const auto& info) {
                             return std::string(info.param) == "loss10" ? "Loss10" : "TlsLoss10";
                         });

}  // namespace
