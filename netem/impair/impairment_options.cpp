#include "netem/impair/impairment_options.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "base/errors.hpp"

namespace tcplab::netem {

namespace po = boost::program_options;

std::uint64_t parse_rate_for(const std::string& key, const std::string& text);

namespace {

// The one table of impairment keys: add_impairment_options registers it, impairment_keys shows
// it (`tcplab scenario keys`, --help), apply() gives each its meaning.
struct Key {
    const char* name;
    const char* values;  // syntax and range, as the parser checks it
    const char* meaning;
    bool repeatable;
};

constexpr std::array kKeys = {
    Key{"loss", "0..100 (%)", "random loss", false},
    Key{"loss-correlation", "0..100 (%)", "correlation of successive loss decisions", false},
    Key{"loss-gemodel", "P[,R[,1-H[,1-K]]], each 0..100 (%)",
        "Gilbert-Elliott loss (not with loss); R, 1-H default 100, 1-K 0", false},
    Key{"delay", ">= 0 ms (suffix ms, us or s)", "added one-way delay", false},
    Key{"jitter", ">= 0 ms (suffix ms, us or s)", "delay variation (needs delay)", false},
    Key{"delay-correlation", "0..100 (%)", "correlation of successive delays (needs jitter)",
        false},
    Key{"distribution", "uniform|normal|pareto|paretonormal", "delay distribution (needs jitter)",
        false},
    Key{"reorder", "0..100 (%)", "packets sent at once instead of delayed (needs delay)", false},
    Key{"reorder-correlation", "0..100 (%)", "correlation of reorder decisions", false},
    Key{"reorder-gap", "0..4294967295", "reorder every Nth packet (needs reorder)", false},
    Key{"duplicate", "0..100 (%)", "packets sent twice", false},
    Key{"corrupt", "0..100 (%)", "packets with one bit flipped", false},
    Key{"rate", "10mbit, 1gbit, 500kbit, NNkbps (bytes/s, as tc) or bit/s; <= 1e15 bit/s",
        "rate limit", false},
    Key{"limit", "0..4294967295 (packets)",
        "queue limit (default: sized from rate x delay so it never drops)", false},
    Key{"drop-data-segment", "1..4294967295, repeatable",
        "drop the Nth data segment (1-based), first transmission", true},
    Key{"drop-syn", "0..4294967295", "drop the first K pure SYNs", false},
    Key{"drop-synack", "0..4294967295", "drop the first K SYN-ACKs", false},
    Key{"drop-fin", "0..4294967295", "drop the first K FINs", false},
    Key{"drop-pure-ack", "0..4294967295", "drop the first K pure ACKs", false},
    Key{"drop-window", "START_MS:END_MS, END_MS > START_MS, repeatable",
        "drop every packet in that window after the start", true},
};

constexpr Key kSeed{"seed", "0..18446744073709551615", "PRNG seed of the impairment (default 1)",
                    false};

std::string help_of(const Key& key) { return std::string(key.meaning) + " [" + key.values + "]"; }

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& why) {
    throw BadValue(key, value, why);
}

// Parses a decimal number that must fill the whole of `text`.
double parse_double(const std::string& key, const std::string& value, std::string_view text) {
    double out = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    if (ec != std::errc{} || ptr != end || text.empty() || !std::isfinite(out)) {
        bad(key, value, "not a number");
    }
    return out;
}

std::uint64_t parse_uint(const std::string& key, const std::string& value, std::string_view text,
                         std::uint64_t max = std::numeric_limits<std::uint32_t>::max()) {
    std::uint64_t out = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    if (ec != std::errc{} || ptr != end || text.empty()) {
        bad(key, value, "not a non-negative integer");
    }
    if (out > max) {
        bad(key, value, "too large (max " + std::to_string(max) + ")");
    }
    return out;
}

double parse_percent(const std::string& key, const std::string& value) {
    std::string_view text = value;
    if (!text.empty() && text.back() == '%') {
        text.remove_suffix(1);
    }
    const double v = parse_double(key, value, text);
    if (v < 0 || v > 100) {
        bad(key, value, "must be a percentage in 0..100");
    }
    return v;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

double parse_ms(const std::string& key, const std::string& value) {
    std::string_view text = value;
    double scale = 1;
    if (ends_with(text, "ms")) {
        text.remove_suffix(2);
    } else if (ends_with(text, "us")) {
        text.remove_suffix(2);
        scale = 0.001;
    } else if (ends_with(text, "s")) {
        text.remove_suffix(1);
        scale = 1000;
    }
    const double v = parse_double(key, value, text) * scale;
    if (v < 0) {
        bad(key, value, "must be >= 0");
    }
    return v;
}

GilbertElliott parse_gemodel(const std::string& key, const std::string& value) {
    GilbertElliott ge;
    std::array<double*, 4> fields = {&ge.p, &ge.r, &ge.one_minus_h, &ge.one_minus_k};
    std::string_view rest = value;
    std::size_t n = 0;
    while (true) {
        const auto comma = rest.find(',');
        if (n == fields.size()) {
            bad(key, value, "at most 4 values: p,r,1-h,1-k");
        }
        const std::string part(rest.substr(0, comma));
        *fields[n++] = parse_percent(key, part);
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    return ge;
}

DelayDistribution parse_distribution(const std::string& key, const std::string& value) {
    if (value == "uniform") return DelayDistribution::uniform;
    if (value == "normal") return DelayDistribution::normal;
    if (value == "pareto") return DelayDistribution::pareto;
    if (value == "paretonormal") return DelayDistribution::paretonormal;
    bad(key, value, "expected uniform, normal, pareto or paretonormal");
}

FaultSchedule::Window parse_window(const std::string& key, const std::string& value) {
    const auto colon = value.find(':');
    if (colon == std::string::npos) {
        bad(key, value, "expected START_MS:END_MS");
    }
    FaultSchedule::Window w{parse_ms(key, value.substr(0, colon)),
                            parse_ms(key, value.substr(colon + 1))};
    if (w.end_ms <= w.start_ms) {
        bad(key, value, "END_MS must be after START_MS");
    }
    return w;
}

std::string format_double(double v) {
    std::array<char, 64> buf{};
    auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return ec == std::errc{} ? std::string(buf.data(), ptr) : std::to_string(v);
}

void apply(DirectionImpairment& d, const std::string& name, const std::string& key,
           const po::variable_value& v) {
    if (name == "drop-data-segment") {
        d.schedule.drop_data_segments.clear();
        for (const auto& s : v.as<std::vector<std::string>>()) {
            const auto n = static_cast<std::uint32_t>(parse_uint(key, s, s));
            if (n == 0) {
                bad(key, s, "segments are numbered from 1");
            }
            d.schedule.drop_data_segments.push_back(n);
        }
        return;
    }
    if (name == "drop-window") {
        d.schedule.drop_windows.clear();
        for (const auto& s : v.as<std::vector<std::string>>()) {
            d.schedule.drop_windows.push_back(parse_window(key, s));
        }
        return;
    }
    const auto& s = v.as<std::string>();
    auto u32 = [&] { return static_cast<std::uint32_t>(parse_uint(key, s, s)); };
    if (name == "loss")
        d.loss_percent = parse_percent(key, s);
    else if (name == "loss-correlation")
        d.loss_correlation = parse_percent(key, s);
    else if (name == "loss-gemodel")
        d.loss_gemodel = parse_gemodel(key, s);
    else if (name == "delay")
        d.delay_ms = parse_ms(key, s);
    else if (name == "jitter")
        d.jitter_ms = parse_ms(key, s);
    else if (name == "delay-correlation")
        d.delay_correlation = parse_percent(key, s);
    else if (name == "distribution")
        d.distribution = parse_distribution(key, s);
    else if (name == "reorder")
        d.reorder_percent = parse_percent(key, s);
    else if (name == "reorder-correlation")
        d.reorder_correlation = parse_percent(key, s);
    else if (name == "reorder-gap")
        d.reorder_gap = u32();
    else if (name == "duplicate")
        d.duplicate_percent = parse_percent(key, s);
    else if (name == "corrupt")
        d.corrupt_percent = parse_percent(key, s);
    else if (name == "rate")
        d.rate_bps = parse_rate_for(key, s);
    else if (name == "limit")
        d.limit_packets = u32();
    else if (name == "drop-syn")
        d.schedule.drop_first_syns = u32();
    else if (name == "drop-synack")
        d.schedule.drop_first_synacks = u32();
    else if (name == "drop-fin")
        d.schedule.drop_first_fins = u32();
    else if (name == "drop-pure-ack")
        d.schedule.drop_first_pure_acks = u32();
}

// One direction's key=value lines (without prefix) in a fixed order.
std::vector<std::pair<std::string, std::string>> lines_of(const DirectionImpairment& d) {
    std::vector<std::pair<std::string, std::string>> out;
    auto num = [&](const char* k, double v) {
        if (v != 0) out.emplace_back(k, format_double(v));
    };
    num("loss", d.loss_percent);
    num("loss-correlation", d.loss_correlation);
    if (d.loss_gemodel) {
        const auto& g = *d.loss_gemodel;
        out.emplace_back("loss-gemodel", format_double(g.p) + "," + format_double(g.r) + "," +
                                             format_double(g.one_minus_h) + "," +
                                             format_double(g.one_minus_k));
    }
    num("delay", d.delay_ms);
    num("jitter", d.jitter_ms);
    num("delay-correlation", d.delay_correlation);
    if (d.distribution != DelayDistribution::none)
        out.emplace_back("distribution", to_string(d.distribution));
    num("reorder", d.reorder_percent);
    num("reorder-correlation", d.reorder_correlation);
    num("reorder-gap", d.reorder_gap);
    num("duplicate", d.duplicate_percent);
    num("corrupt", d.corrupt_percent);
    if (d.rate_bps != 0) out.emplace_back("rate", format_rate(d.rate_bps));
    num("limit", d.limit_packets);
    for (auto n : d.schedule.drop_data_segments)
        out.emplace_back("drop-data-segment", std::to_string(n));
    num("drop-syn", d.schedule.drop_first_syns);
    num("drop-synack", d.schedule.drop_first_synacks);
    num("drop-fin", d.schedule.drop_first_fins);
    num("drop-pure-ack", d.schedule.drop_first_pure_acks);
    for (const auto& w : d.schedule.drop_windows) {
        out.emplace_back("drop-window", format_double(w.start_ms) + ":" + format_double(w.end_ms));
    }
    return out;
}

}  // namespace

BadValue::BadValue(std::string key, std::string value, std::string reason)
    : UsageError("--" + key + "=" + value + ": " + reason),
      key_(std::move(key)),
      value_(std::move(value)),
      reason_(std::move(reason)) {}

std::vector<KeyDoc> impairment_keys() {
    std::vector<KeyDoc> out;
    for (const auto& key : kKeys) {
        out.push_back({key.name, key.values, key.meaning});
    }
    out.push_back({kSeed.name, kSeed.values, kSeed.meaning});
    return out;
}

std::uint64_t parse_rate(const std::string& text) { return parse_rate_for("rate", text); }

std::uint64_t parse_rate_for(const std::string& key, const std::string& text) {
    // tc's units: *bit are bits/s, *bps are BYTES/s; k/m/g/t are powers of 1000, ki/mi/gi/ti of
    // 1024.
    struct Unit {
        std::string_view suffix;
        double factor;
    };
    static constexpr std::array kUnits = {
        Unit{"tibit", 1099511627776.0},
        Unit{"gibit", 1073741824.0},
        Unit{"mibit", 1048576.0},
        Unit{"kibit", 1024.0},
        Unit{"tbit", 1e12},
        Unit{"gbit", 1e9},
        Unit{"mbit", 1e6},
        Unit{"kbit", 1e3},
        Unit{"bit", 1},
        Unit{"tibps", 8 * 1099511627776.0},
        Unit{"gibps", 8 * 1073741824.0},
        Unit{"mibps", 8 * 1048576.0},
        Unit{"kibps", 8 * 1024.0},
        Unit{"tbps", 8e12},
        Unit{"gbps", 8e9},
        Unit{"mbps", 8e6},
        Unit{"kbps", 8e3},
        Unit{"bps", 8},
    };
    std::string lower;
    for (char c : text) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    std::string_view body = lower;
    double factor = 1;
    for (const auto& unit : kUnits) {
        if (ends_with(body, unit.suffix)) {
            body.remove_suffix(unit.suffix.size());
            factor = unit.factor;
            break;
        }
    }
    const double v = parse_double(key, text, body) * factor;
    if (v < 0 || v > 1e15) {
        bad(key, text, "out of range");
    }
    return static_cast<std::uint64_t>(std::llround(v));
}

std::string format_rate(std::uint64_t bps) {
    if (bps != 0 && bps % 1000000000 == 0) return std::to_string(bps / 1000000000) + "gbit";
    if (bps != 0 && bps % 1000000 == 0) return std::to_string(bps / 1000000) + "mbit";
    if (bps != 0 && bps % 1000 == 0) return std::to_string(bps / 1000) + "kbit";
    return std::to_string(bps) + "bit";
}

void add_impairment_options(po::options_description& desc) {
    for (const char* prefix : {"", "c2s.", "s2c."}) {
        for (const auto& key : kKeys) {
            const std::string name = std::string(prefix) + key.name;
            const std::string help =
                help_of(key) +
                (*prefix == '\0' ? " (both directions)" : " (" + std::string(prefix, 3) + " only)");
            if (key.repeatable) {
                desc.add_options()(name.c_str(), po::value<std::vector<std::string>>()->composing(),
                                   help.c_str());
            } else {
                desc.add_options()(name.c_str(), po::value<std::string>(), help.c_str());
            }
        }
    }
    desc.add_options()(kSeed.name, po::value<std::string>(), help_of(kSeed).c_str());
}

Impairment impairment_from(const po::variables_map& vm) {
    Impairment out = impairment_values_from(vm);
    if (const auto problems = validate(out); !problems.empty()) {
        std::string msg = "impairment settings that cannot work as given:";
        for (const auto& p : problems) msg += "\n  --" + p;
        throw UsageError(msg);
    }
    return out;
}

Impairment impairment_values_from(const po::variables_map& vm) {
    Impairment out;
    // Unprefixed keys first (both directions), then c2s./s2c. ones override for their direction.
    for (const char* prefix : {"", "c2s.", "s2c."}) {
        for (const auto& key : kKeys) {
            const std::string full = std::string(prefix) + key.name;
            const auto it = vm.find(full);
            if (it == vm.end() || it->second.empty()) {
                continue;
            }
            const std::string p(prefix);
            if (p != "s2c.") apply(out.client_to_server, key.name, full, it->second);
            if (p != "c2s.") apply(out.server_to_client, key.name, full, it->second);
        }
    }
    if (const auto it = vm.find("seed"); it != vm.end() && !it->second.empty()) {
        const auto& s = it->second.as<std::string>();
        out.seed = parse_uint("seed", s, s, std::numeric_limits<std::uint64_t>::max());
    }
    return out;
}

std::vector<std::string> describe(const Impairment& impairment) {
    std::vector<std::string> out;
    const auto c2s = lines_of(impairment.client_to_server);
    const auto s2c = lines_of(impairment.server_to_client);
    if (c2s == s2c) {
        for (const auto& [k, v] : c2s) out.push_back(k + "=" + v);
    } else {
        for (const auto& [k, v] : c2s) out.push_back("c2s." + k + "=" + v);
        for (const auto& [k, v] : s2c) out.push_back("s2c." + k + "=" + v);
    }
    out.push_back("seed=" + std::to_string(impairment.seed));
    return out;
}

}  // namespace tcplab::netem
