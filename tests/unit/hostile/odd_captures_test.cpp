// Odd captures written field by field (hostile corpus, part 2): header and record fields a
// capture writer should never produce — huge or zero snaplen, records longer than the snaplen or
// than 256 KiB, zero-length records, time going backwards, link types we do not decode — and the
// same for pcapng (bad block lengths, unknown blocks, an interface with an unsupported link
// type, absurd timestamps), plus files that are not captures at all. Each is built from a real
// capture (fin_loss_v4-client.pcap: Ethernet, microseconds, a FIN retransmission with its RTO).
#include <gtest/gtest.h>

#include <random>

#include "capture_writer.hpp"
#include "hostile_fixture.hpp"

namespace tcplab::hostile {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kEthernet = 1;

struct Base {
    const Source& source = hostile::source("fin_loss_v4-client.pcap");
    std::vector<SourceRecord> records = pcap_records(source.bytes, source.layout);
    std::uint64_t n() const { return records.size(); }
    std::size_t mid() const { return records.size() / 2; }  // 0-based; record mid()+1
    std::uint64_t usec(const SourceRecord& r) const {
        return std::uint64_t{r.seconds} * 1'000'000 + r.fraction;
    }
};

TEST_F(HostileCaptures, OddPcapHeadersAndRecords) {
    const Base base;
    ASSERT_GE(base.n(), 10u);
    ASSERT_EQ(get_u32(base.source.bytes, 20, false), kEthernet);
    const std::uint64_t n = base.n();
    const std::size_t mid = base.mid();
    const Source& s = base.source;

    // Rewrites of the whole capture that must not change a single verdict.
    const auto rewrite = [&](PcapWriter w) {
        for (const auto& r : base.records) w.record(r);
        return w.bytes();
    };
    for (std::uint32_t snaplen : {0xFFFFFFFFu, 0x7FFFFFFFu, 0u, 262145u}) {
        add_known("snaplen " + std::to_string(snaplen), rewrite(PcapWriter(kEthernet, snaplen)),
                  Expect::clean, s, n);
    }
    add_known("big endian", rewrite(PcapWriter(kEthernet, 262144, PcapWriter::kMicroMagic, true)),
              Expect::clean, s, n);
    {
        PcapWriter w(kEthernet, 262144, PcapWriter::kNanoMagic);
        for (auto r : base.records) {
            r.fraction *= 1000;
            w.record(r);
        }
        add_known("nanosecond magic", w.bytes(), Expect::clean, s, n);
    }

    // Record mid+1 claims an impossible length: what came before is reported, record mid+1 named.
    const auto damage_mid = [&](std::string name, auto&& write_mid) {
        PcapWriter w(kEthernet);
        for (std::size_t i = 0; i < base.records.size(); ++i) {
            if (i == mid) {
                write_mid(w, base.records[i]);
            } else {
                w.record(base.records[i]);
            }
        }
        add_known(std::move(name), w.bytes(), Expect::damaged, s, mid).record = mid + 1;
    };
    damage_mid("caplen 300000 (> 256 KiB), bytes missing",
               [](PcapWriter& w, const SourceRecord& r) {
                   w.record(r.seconds, r.fraction, 300000, 300000, r.data);
               });
    damage_mid("caplen 300000 (> 256 KiB), bytes present",
               [](PcapWriter& w, const SourceRecord& r) {
                   std::vector<std::uint8_t> big(300000, 0);
                   std::copy(r.data.begin(), r.data.end(), big.begin());
                   w.record(r.seconds, r.fraction, 300000, 300000, big);
               });
    damage_mid("caplen 0xFFFFFFFF", [](PcapWriter& w, const SourceRecord& r) {
        w.record(r.seconds, r.fraction, 0xFFFFFFFF, r.wire_length, r.data);
    });

    // Readable but odd: exit 0 (warnings allowed).
    const auto each = [&](std::string name, PcapWriter w, auto&& write) {
        for (std::size_t i = 0; i < base.records.size(); ++i) write(w, i, base.records[i]);
        add(std::move(name), w.bytes(), Expect::readable);
    };
    each("snaplen 64, records longer than it", PcapWriter(kEthernet, 64),
         [](PcapWriter& w, std::size_t, const SourceRecord& r) { w.record(r); });
    each("snaplen 1", PcapWriter(kEthernet, 1),
         [](PcapWriter& w, std::size_t, const SourceRecord& r) { w.record(r); });
    each("caplen larger than the wire length", PcapWriter(kEthernet),
         [](PcapWriter& w, std::size_t, const SourceRecord& r) {
             w.record(r.seconds, r.fraction, static_cast<std::uint32_t>(r.data.size()), 1, r.data);
         });
    each("zero-length records between all records", PcapWriter(kEthernet),
         [](PcapWriter& w, std::size_t, const SourceRecord& r) {
             w.record(r.seconds, r.fraction, 0, 0, {});
             w.record(r);
             w.record(r.seconds, r.fraction, 0, 1514, {});
         });
    each("only zero-length records", PcapWriter(kEthernet),
         [](PcapWriter& w, std::size_t, const SourceRecord& r) {
             w.record(r.seconds, r.fraction, 0, r.wire_length, {});
         });
    each("runt records of 1 to 60 bytes", PcapWriter(kEthernet),
         [](PcapWriter& w, std::size_t i, const SourceRecord& r) {
             const auto len = std::min<std::size_t>(r.data.size(), 1 + (i * 7) % 60);
             w.record(r.seconds, r.fraction, static_cast<std::uint32_t>(len), r.wire_length,
                      std::span(r.data).first(len));
         });
    each("timestamps reversed", PcapWriter(kEthernet),
         [&](PcapWriter& w, std::size_t i, const SourceRecord& r) {
             const auto& mirror = base.records[base.records.size() - 1 - i];
             w.record(mirror.seconds, mirror.fraction, static_cast<std::uint32_t>(r.data.size()),
                      r.wire_length, r.data);
         });
    each("clock jumps back an hour halfway", PcapWriter(kEthernet),
         [&](PcapWriter& w, std::size_t i, const SourceRecord& r) {
             w.record(i >= mid ? r.seconds - 3600 : r.seconds, r.fraction,
                      static_cast<std::uint32_t>(r.data.size()), r.wire_length, r.data);
         });
    each("every timestamp zero", PcapWriter(kEthernet),
         [](PcapWriter& w, std::size_t, const SourceRecord& r) {
             w.record(0, 0, static_cast<std::uint32_t>(r.data.size()), r.wire_length, r.data);
         });
    each("seconds 0xFFFFFFFF on every other record", PcapWriter(kEthernet),
         [](PcapWriter& w, std::size_t i, const SourceRecord& r) {
             w.record(i % 2 == 0 ? 0xFFFFFFFF : r.seconds, r.fraction,
                      static_cast<std::uint32_t>(r.data.size()), r.wire_length, r.data);
         });
    each("microseconds 0xFFFFFFFF", PcapWriter(kEthernet),
         [](PcapWriter& w, std::size_t, const SourceRecord& r) {
             w.record(r.seconds, 0xFFFFFFFF, static_cast<std::uint32_t>(r.data.size()),
                      r.wire_length, r.data);
         });
    each("nanoseconds 0xFFFFFFFF, seconds 0xFFFFFFFF",
         PcapWriter(kEthernet, 262144, PcapWriter::kNanoMagic),
         [](PcapWriter& w, std::size_t, const SourceRecord& r) {
             w.record(0xFFFFFFFF, 0xFFFFFFFF, static_cast<std::uint32_t>(r.data.size()),
                      r.wire_length, r.data);
         });
    // Link types we decode, over Ethernet bytes: every record is garbage to them.
    for (std::uint32_t lt : {0u, 101u, 113u, 276u, 108u, 228u, 229u}) {
        each("Ethernet bytes labelled link type " + std::to_string(lt), PcapWriter(lt),
             [](PcapWriter& w, std::size_t, const SourceRecord& r) { w.record(r); });
    }

    // Link types we do not decode: exit 2 naming the link type.
    for (std::uint32_t lt : {147u, 9u, 105u, 127u, 65535u}) {
        add("unsupported link type " + std::to_string(lt), rewrite(PcapWriter(lt)),
            Expect::unreadable);
    }
    // Header oddities whose right answer is libpcap's to give.
    add("link type with FCS bits", rewrite(PcapWriter(0x14000001)), Expect::any);
    add("link type 0x0FFFFFFF", rewrite(PcapWriter(0x0FFFFFFF)), Expect::any);
    add("version 1.0", rewrite(PcapWriter(kEthernet, 262144, PcapWriter::kMicroMagic, false, 1, 0)),
        Expect::any);
    add("version 3.7", rewrite(PcapWriter(kEthernet, 262144, PcapWriter::kMicroMagic, false, 3, 7)),
        Expect::any);
    add("modified-pcap magic over plain records",
        rewrite(PcapWriter(kEthernet, 262144, 0xA1B2CD34)), Expect::any);
    run(1);
}

TEST_F(HostileCaptures, OddPcapng) {
    const Base base;
    const Source& s = base.source;
    const std::uint64_t n = base.n();
    const std::size_t mid = base.mid();

    // A pcapng rewrite of the capture (microsecond timestamps): tshark's verdicts, unchanged.
    const auto packets = [&](PcapngWriter& w, auto&& at) {
        for (std::size_t i = 0; i < base.records.size(); ++i) at(w, i, base.records[i]);
    };
    const auto plain = [&](PcapngWriter& w, std::size_t, const SourceRecord& r) {
        w.enhanced_packet(0, base.usec(r), static_cast<std::uint32_t>(r.data.size()), r.wire_length,
                          r.data);
    };
    for (bool be : {false, true}) {
        PcapngWriter w(be);
        w.interface(kEthernet);
        packets(w, plain);
        add_known(std::string("pcapng ") + (be ? "big" : "little") + " endian", w.bytes(),
                  Expect::clean, s, n);
    }
    {
        PcapngWriter w;
        w.interface(kEthernet, 0xFFFFFFFF);
        packets(w, plain);
        add_known("pcapng snaplen 0xFFFFFFFF", w.bytes(), Expect::clean, s, n);
    }
    {
        PcapngWriter w;
        w.interface(kEthernet, 262144, w.option(9, {9}));  // if_tsresol: nanoseconds
        packets(w, [&](PcapngWriter& p, std::size_t, const SourceRecord& r) {
            p.enhanced_packet(0, base.usec(r) * 1000, static_cast<std::uint32_t>(r.data.size()),
                              r.wire_length, r.data);
        });
        add_known("pcapng nanosecond resolution", w.bytes(), Expect::clean, s, n);
    }
    {
        PcapngWriter w;
        w.interface(kEthernet);
        packets(w, [&](PcapngWriter& p, std::size_t i, const SourceRecord& r) {
            if (i % 5 == 0) p.block(0x0BAD0001, std::vector<std::uint8_t>(20, 0xEE));  // unknown
            if (i % 7 == 0) p.block(0x00000BAD, std::vector<std::uint8_t>(8, 0x11));   // custom
            if (i % 9 == 0)
                p.block(0x40000BAD, std::vector<std::uint8_t>(4, 0x22));         // custom, no-copy
            if (i % 11 == 0) p.block(4, std::vector<std::uint8_t>{0, 0, 0, 0});  // empty NRB
            plain(p, i, r);
        });
        w.block(5, std::vector<std::uint8_t>(12, 0));  // Interface Statistics
        add_known("pcapng with unknown, custom, NRB and ISB blocks", w.bytes(), Expect::clean, s,
                  n);
    }

    // Damage at packet mid+1: the mid packets before it reported, packet mid+1 named.
    const auto damage_mid = [&](std::string name, auto&& write_mid) {
        PcapngWriter w;
        w.interface(kEthernet);
        packets(w, [&](PcapngWriter& p, std::size_t i, const SourceRecord& r) {
            if (i == mid) {
                write_mid(p, r);
            } else {
                plain(p, i, r);
            }
        });
        add_known(std::move(name), w.bytes(), Expect::damaged, s, mid).record = mid + 1;
    };
    const auto epb_body = [&](const SourceRecord& r, std::uint32_t caplen) {
        PcapngWriter scratch;
        scratch.enhanced_packet(0, base.usec(r), caplen, r.wire_length, r.data);
        const auto& b = scratch.bytes();
        const std::size_t shb = get_u32(b, 4, false);
        return std::vector<std::uint8_t>(b.begin() + static_cast<std::ptrdiff_t>(shb + 8),
                                         b.end() - 4);
    };
    for (std::uint32_t length : {0u, 4u, 8u, 14u, 0xFFFFFFF0u}) {
        damage_mid("EPB block length " + std::to_string(length),
                   [&](PcapngWriter& p, const SourceRecord& r) {
                       p.block(6, epb_body(r, static_cast<std::uint32_t>(r.data.size())), length);
                   });
    }
    damage_mid("EPB caplen beyond its block", [&](PcapngWriter& p, const SourceRecord& r) {
        p.block(6, epb_body(r, static_cast<std::uint32_t>(r.data.size()) + 4096));
    });
    damage_mid("EPB caplen 300000 (> 256 KiB), bytes present",
               [&](PcapngWriter& p, const SourceRecord& r) {
                   std::vector<std::uint8_t> big(300000, 0);
                   std::copy(r.data.begin(), r.data.end(), big.begin());
                   p.enhanced_packet(0, base.usec(r), 300000, 300000, big);
               });
    damage_mid("EPB on an interface that was never described",
               [&](PcapngWriter& p, const SourceRecord& r) {
                   p.enhanced_packet(7, base.usec(r), static_cast<std::uint32_t>(r.data.size()),
                                     r.wire_length, r.data);
               });
    damage_mid("a second interface with an unsupported link type",
               [&](PcapngWriter& p, const SourceRecord& r) {
                   p.interface(147);
                   p.enhanced_packet(1, base.usec(r), static_cast<std::uint32_t>(r.data.size()),
                                     r.wire_length, r.data);
               });
    damage_mid("EPB shorter than its fixed fields", [&](PcapngWriter& p, const SourceRecord&) {
        p.block(6, std::vector<std::uint8_t>(8, 0));
    });

    // Readable but odd.
    const auto readable = [&](std::string name, auto&& build, Expect expect = Expect::readable) {
        PcapngWriter w;
        build(w);
        add(std::move(name), w.bytes(), expect);
    };
    readable("Simple Packet Blocks (no timestamps)", [&](PcapngWriter& w) {
        w.interface(kEthernet);
        packets(w, [](PcapngWriter& p, std::size_t, const SourceRecord& r) {
            p.simple_packet(r.wire_length, r.data);
        });
    });
    readable("EPB caplen 0", [&](PcapngWriter& w) {
        w.interface(kEthernet);
        packets(w, [&](PcapngWriter& p, std::size_t, const SourceRecord& r) {
            p.enhanced_packet(0, base.usec(r), 0, r.wire_length, {});
        });
    });
    readable("second interface, same link type", [&](PcapngWriter& w) {
        w.interface(kEthernet);
        w.interface(kEthernet);
        packets(w, [&](PcapngWriter& p, std::size_t i, const SourceRecord& r) {
            p.enhanced_packet(static_cast<std::uint32_t>(i % 2), base.usec(r),
                              static_cast<std::uint32_t>(r.data.size()), r.wire_length, r.data);
        });
    });
    for (std::uint64_t ts : {0xFFFFFFFFFFFFFFFFull, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull}) {
        readable("every timestamp " + std::to_string(ts), [&](PcapngWriter& w) {
            w.interface(kEthernet);
            packets(w, [&](PcapngWriter& p, std::size_t, const SourceRecord& r) {
                p.enhanced_packet(0, ts, static_cast<std::uint32_t>(r.data.size()), r.wire_length,
                                  r.data);
            });
        });
    }
    readable("timestamps alternating between 0 and 2^64-1", [&](PcapngWriter& w) {
        w.interface(kEthernet);
        packets(w, [&](PcapngWriter& p, std::size_t i, const SourceRecord& r) {
            p.enhanced_packet(0, i % 2 == 0 ? 0 : ~0ull, static_cast<std::uint32_t>(r.data.size()),
                              r.wire_length, r.data);
        });
    });
    // Resolutions and offsets at the edges; whether libpcap accepts them is its business.
    for (std::uint8_t resol : {0x00, 0x3F, 0x7F, 0x80, 0xBF, 0xFF}) {
        readable(
            "if_tsresol " + std::to_string(resol),
            [&](PcapngWriter& w) {
                w.interface(kEthernet, 262144, w.option(9, {resol}));
                packets(w, plain);
            },
            Expect::any);
    }
    for (std::uint64_t offset :
         {0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, 0xFFFFFFFFFFFFFFFFull}) {
        readable(
            "if_tsoffset " + std::to_string(offset),
            [&](PcapngWriter& w) {
                std::vector<std::uint8_t> value(8);
                for (int i = 0; i < 8; ++i)
                    value[static_cast<std::size_t>(i)] =
                        static_cast<std::uint8_t>(offset >> (8 * i));
                w.interface(kEthernet, 262144, w.option(14, value));
                packets(w, plain);
            },
            Expect::any);
    }
    readable(
        "EPB trailer length disagrees with the header",
        [&](PcapngWriter& w) {
            w.interface(kEthernet);
            packets(w, [&](PcapngWriter& p, std::size_t i, const SourceRecord& r) {
                if (i == mid) {
                    p.block(6, epb_body(r, static_cast<std::uint32_t>(r.data.size())), std::nullopt,
                            12);
                } else {
                    plain(p, i, r);
                }
            });
        },
        Expect::any);
    readable(
        "a second section halfway",
        [&](PcapngWriter& w) {
            w.interface(kEthernet);
            packets(w, [&](PcapngWriter& p, std::size_t i, const SourceRecord& r) {
                if (i == mid) p.section().interface(kEthernet);
                plain(p, i, r);
            });
        },
        Expect::any);
    readable(
        "an interface option longer than its block",
        [&](PcapngWriter& w) {
            std::vector<std::uint8_t> opt = w.option(2, {'e', 't', 'h', '0'});
            opt[2] = 0xFF;  // option length 0x..FF: past the end of the block
            opt[3] = 0x7F;
            w.interface(kEthernet, 262144, opt);
            packets(w, plain);
        },
        Expect::any);

    // Nothing readable.
    readable(
        "first interface with unsupported link type 147",
        [&](PcapngWriter& w) {
            w.interface(147);
            packets(w, plain);
        },
        Expect::unreadable);
    add("section header version 2.0", PcapngWriter(false, 2, 0).interface(kEthernet).bytes(),
        Expect::unreadable);
    add("section header only", PcapngWriter().bytes(), Expect::unreadable);
    run(1);
}

TEST_F(HostileCaptures, NotACapture) {
    add("empty file", {}, Expect::unreadable);
    const std::string text = "frame\tstream\tflags\n1\t0\t\nthis is a text file, not a capture\n";
    add("text file", {text.begin(), text.end()}, Expect::unreadable);
    add("ELF executable (the first 64 KiB of tcplab)", prefix(read_bytes(TCPLAB_BINARY), 65536),
        Expect::unreadable);
    std::mt19937_64 rng(0x7C1AB0FFu);
    std::vector<std::uint8_t> noise(4096);
    for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
    add("4 KiB of seeded random bytes", noise, Expect::unreadable);
    add("pcap magic alone", {0xd4, 0xc3, 0xb2, 0xa1}, Expect::unreadable);
    // Built as a string: GCC 12 warns (-Warray-bounds, a false positive) on inserting into a
    // 4-byte vector.
    const std::string shb_then_text = std::string("\x0a\x0d\x0d\x0a", 4) + text;
    add("pcapng magic followed by text", {shb_then_text.begin(), shb_then_text.end()},
        Expect::unreadable);
    // A directory where a file should be.
    Case& dir = add("a directory", {}, Expect::unreadable);
    fs::remove(dir.file);
    fs::create_directory(dir.file);
    run(1);
}

}  // namespace
}  // namespace tcplab::hostile
