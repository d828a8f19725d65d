#pragma once
// Flag / scenario-file names of the impairment model, shared by `tcplab net`, `tcplab scenario`
// and scenarios/*.ini (Boost.Program_options config syntax). A key without a prefix applies to
// both directions; `c2s.KEY` / `s2c.KEY` (or an [c2s] / [s2c] section in a file) to one:
//
//   loss=10  loss-correlation=25  loss-gemodel=p,r,1-h,1-k
//   delay=100 (ms)  jitter=10 (ms)  delay-correlation=25
//   distribution=normal|pareto|paretonormal|uniform reorder=25  reorder-correlation=50
//   reorder-gap=5 duplicate=1  corrupt=0.5  rate=10mbit|1gbit|500kbit|<bits/s>  limit=<packets>
//   drop-data-segment=3 (repeatable)  drop-syn=1  drop-synack=2  drop-fin=1  drop-pure-ack=3
//   drop-window=START_MS:END_MS (repeatable)
//   seed=<n>
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "netem/impair/impairment.hpp"

namespace tcplab::netem {

// One key of the table the parser registers, as `scenario keys` and --help show it.
struct KeyDoc {
    std::string name;     // "loss" (also c2s.loss, s2c.loss, or in a [c2s] / [s2c] section)
    std::string values;   // what it takes and its range: "0..100 (%)"
    std::string meaning;  // one line
};

// Every impairment key (one direction's name, no prefix) and seed, in table order.
std::vector<KeyDoc> impairment_keys();

// A bad value for one key. what() is "--KEY=VALUE: REASON", the flag as typed on a command line;
// a scenario file's reader re-words it with its file:line (scenario/spec.cpp).
class BadValue : public UsageError {
public:
    BadValue(std::string key, std::string value, std::string reason);
    const std::string& key() const { return key_; }  // as registered: "loss", "c2s.loss"
    const std::string& value() const { return value_; }
    const std::string& reason() const { return reason_; }

private:
    std::string key_;
    std::string value_;
    std::string reason_;
};

// Adds every key above (for both, c2s. and s2c.) to desc.
void add_impairment_options(boost::program_options::options_description& desc);
// Builds the model from parsed values; throws BadValue for a bad value, UsageError listing the
// problems for settings that cannot work together.
Impairment impairment_from(const boost::program_options::variables_map& vm);
// impairment_from without the check that the settings work together: for a reader that reports
// validate()'s problems its own way (a scenario file, by line).
Impairment impairment_values_from(const boost::program_options::variables_map& vm);
// The inverse, for reports: key=value lines that reproduce the model.
std::vector<std::string> describe(const Impairment& impairment);

// Rate strings as tc writes them: 10mbit, 1gbit, 500kbit, 2kibit, plain bits/s; *bps are BYTES/s
// (tc's convention). Throws UsageError naming --rate. format_rate is the inverse (10mbit).
std::uint64_t parse_rate(const std::string& text);
std::string format_rate(std::uint64_t bits_per_second);

}  // namespace tcplab::netem
