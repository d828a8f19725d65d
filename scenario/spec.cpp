#include "scenario/spec.hpp"

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "base/errors.hpp"
#include "netem/impair/impairment_options.hpp"
#include "netem/impair/option_error.hpp"

namespace tcplab::scenario {

namespace po = boost::program_options;
namespace fs = std::filesystem;

std::string to_string(TrafficSpec::Kind kind) {
    switch (kind) {
        case TrafficSpec::Kind::kernel_bulk:
            return "kernel-bulk";
        case TrafficSpec::Kind::tls_greeting:
            return "tls-greeting";
        case TrafficSpec::Kind::tls_bulk:
            return "tls-bulk";
        case TrafficSpec::Kind::crafted_handshake:
            return "crafted-handshake";
        case TrafficSpec::Kind::command:
            return "command";
    }
    return "?";
}

fs::path scenario_directory() {
    if (const char* env = std::getenv("TCPLAB_SCENARIOS"); env != nullptr && *env != '\0') {
        return env;
    }
    // An installed tcplab (PREFIX/bin/tcplab) finds PREFIX/share/tcplab/scenarios; a build
    // tree finds the source tree's.
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = exe.parent_path().parent_path() / "share/tcplab/scenarios";
        if (fs::is_directory(installed, ec)) {
            return installed;
        }
    }
    return fs::path(TCPLAB_SOURCE_DIR) / "scenarios";
}

namespace {

// The scenario's own keys, one table: make_scenario_options registers them with Boost (file keys
// and `scenario run` flags) and scenario_keys() shows them. Ranges are checked in spec_from and
// commands_from (Boost checks only the type).
struct SpecKey {
    const char* name;
    const char* values;
    const char* meaning;
    po::value_semantic* (*semantic)();
};

template <typename T>
po::value_semantic* with_default(T value) {
    return po::value<T>()->default_value(value);
}

template <typename T>
po::value_semantic* without_default() {
    return po::value<T>();
}

const std::array kSpecKeys = {
    SpecKey{"description", "TEXT", "one line shown by `scenario list`",
            [] { return with_default<std::string>(""); }},
    SpecKey{"traffic", "KIND [BYTES], BYTES 0..17179869184; repeatable",
            "what crosses the path, in order: kernel-bulk BYTES, tls-greeting, tls-bulk BYTES, "
            "crafted-handshake BYTES (a scenario needs traffic or a client command)",
            [] {
                return static_cast<po::value_semantic*>(
                    po::value<std::vector<std::string>>()->composing());
            }},
    SpecKey{"ipv6", "true|false (default false)", "run the traffic over IPv6",
            [] { return with_default(false); }},
    SpecKey{"cc", "NAME: letters, digits, _ (default: the kernel's)",
            "TCP congestion control in the client and server namespaces: cubic, reno, bbr or any "
            "the kernel offers",
            [] { return with_default<std::string>(""); }},
    SpecKey{"timeout", "0 < S <= 3600 (default 60)", "seconds the traffic phase may take",
            [] { return with_default(60.0); }},
    SpecKey{"expect-retransmissions", "none|some|any (default any)",
            "retransmissions the analyzer must report",
            [] { return with_default<std::string>("any"); }},
    SpecKey{"expect-handshake", "completed|failed (default completed)",
            "whether the TCP handshake must complete",
            [] { return with_default<std::string>("completed"); }},
    SpecKey{"expect-out-of-order", "true|false (default false)",
            "the receiver's analysis must show out-of-order segments",
            [] { return with_default(false); }},
    SpecKey{"expect-duplicate-ack", "true|false (default false)",
            "the receiver's analysis must show duplicate ACKs", [] { return with_default(false); }},
    SpecKey{"expect-syn-rto", "seconds", "RTO of a dropped SYN's retransmission (Linux: 1)",
            [] { return without_default<double>(); }},
    SpecKey{"server", "/bin/sh COMMAND (needs client)",
            "your server: run in the server namespace first",
            [] { return without_default<std::string>(); }},
    SpecKey{"client", "/bin/sh COMMAND",
            "your client: run in the client namespace to completion; env TCPLAB_SERVER_ADDR(6), "
            "TCPLAB_CLIENT_ADDR(6), TCPLAB_OUT",
            [] { return without_default<std::string>(); }},
    SpecKey{"server-ready-port", "1..65535 (default: any TCP listener)",
            "wait until the server listens on this TCP port",
            [] { return without_default<int>(); }},
    SpecKey{"server-ready-timeout", "0 < S <= 3600 (default 10)",
            "seconds to wait for the server to listen", [] { return with_default(10.0); }},
    SpecKey{"client-timeout", "0 < S <= 3600 (default 120)",
            "seconds the client may run before it is stopped (a failure)",
            [] { return with_default(120.0); }},
    SpecKey{"expect-client-exit", "0..255 (default 0)",
            "the client's expected exit code (check client_exit)", [] { return with_default(0); }},
};

po::options_description make_scenario_options() {
    po::options_description desc("scenario file keys");
    for (const auto& key : kSpecKeys) {
        const std::string help = std::string(key.meaning) + " [" + key.values + "]";
        desc.add_options()(key.name, key.semantic(), help.c_str());
    }
    netem::add_impairment_options(desc);
    return desc;
}

const po::options_description& scenario_options() { return scenario_key_options(); }

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view skip_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    return s;
}

// "[name]" alone on its line, blanks around it allowed.
std::optional<std::string_view> section_of(std::string_view line) {
    line = skip_blanks(line);
    while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
    if (line.size() < 2 || line.front() != '[' || line.back() != ']') return std::nullopt;
    line = line.substr(1, line.size() - 2);
    if (line.find(']') != std::string_view::npos) return std::nullopt;
    return line;
}

// The key of a "key = value" line (blanks allowed before and after the key), else empty.
std::string_view key_of(std::string_view line) {
    line = skip_blanks(line);
    const std::string_view key = line.substr(0, line.find_first_of("=#; \t\n\v\f\r"));
    const std::string_view rest = skip_blanks(line.substr(key.size()));
    return !key.empty() && !rest.empty() && rest.front() == '=' ? key : std::string_view{};
}

// Boost names the key but not the line; find it so the message points at the file's text.
// Keys inside [section] are reported by Boost as "section.key". (Plain string scanning, not
// std::regex: this runs for every rejected file, and the fuzzer rejects most of its inputs.)
int line_of_key(const std::string& text, const std::string& dotted_key) {
    std::istringstream in(text);
    std::string line;
    std::string section;
    const auto dot = dotted_key.find('.');
    const std::string want_section = dot == std::string::npos ? "" : dotted_key.substr(0, dot);
    const std::string want_key = dot == std::string::npos ? dotted_key : dotted_key.substr(dot + 1);
    for (int number = 1; std::getline(in, line); ++number) {
        if (const auto name = section_of(line)) {
            section = *name;
        } else if (const std::string_view key = key_of(line); !key.empty()) {
            if ((section == want_section && key == want_key) ||
                (section.empty() && key == dotted_key)) {
                return number;
            }
        }
    }
    return 0;
}

// The file being parsed: its name for messages, its text to find the line of a key in, and the
// keys the command line gave (they override the file's, so a bad one is named as the flag).
struct Source {
    const fs::path& file;
    const std::string& text;
    const std::set<std::string>& flag_keys;
};

[[noreturn]] void fail_at(const Source& source, const std::string& key, const std::string& what) {
    const int line = key.empty() ? 0 : line_of_key(source.text, key);
    std::ostringstream msg;
    msg << source.file.string();
    if (line > 0) {
        msg << ":" << line;
    }
    msg << ": " << (key.empty() ? "" : "key '" + key + "': ") << what;
    throw UsageError(msg.str());
}

// A bad value: "FILE:LINE: KEY = VALUE: REASON" from a file, "--KEY=VALUE: REASON" from a flag.
[[noreturn]] void fail_value(const Source& source, const std::string& key, const std::string& value,
                             const std::string& reason) {
    if (source.flag_keys.count(key) != 0U) {
        throw UsageError("--" + key + "=" + value + ": " + reason);
    }
    const int line = line_of_key(source.text, key);
    std::ostringstream msg;
    msg << source.file.string();
    if (line > 0) {
        msg << ":" << line;
    }
    msg << ": " << key << " = " << value << ": " << reason;
    throw UsageError(msg.str());
}

// validate()'s problems ("c2s.jitter: does nothing without delay > 0"), each where its key was
// given: a flag (named "--KEY"), else the file's line. A key written without prefix (both
// directions) is named as written, and once.
[[noreturn]] void fail_settings(const Source& source, const std::vector<std::string>& problems) {
    std::vector<std::string> lines;
    for (const auto& problem : problems) {
        const std::string dotted = problem.substr(0, problem.find_first_of(": "));
        const std::string bare = dotted.substr(dotted.find('.') + 1);
        const std::string rest = problem.substr(dotted.size());
        std::string entry;
        if (source.flag_keys.count(dotted) != 0U) {
            entry = "--" + problem;
        } else if (source.flag_keys.count(bare) != 0U) {
            entry = "--" + bare + rest;
        } else {
            std::string text = problem;
            int line = line_of_key(source.text, dotted);
            if (line == 0 && (line = line_of_key(source.text, bare)) > 0) {
                text = bare + rest;
            }
            entry =
                source.file.string() + (line > 0 ? ":" + std::to_string(line) : "") + ": " + text;
        }
        if (std::find(lines.begin(), lines.end(), entry) == lines.end()) {
            lines.push_back(entry);
        }
    }
    std::string msg;
    for (const auto& entry : lines) {
        msg += (msg.empty() ? "" : "\n") + entry;
    }
    throw UsageError(msg);
}

std::string number_text(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

TrafficSpec parse_traffic(const Source& source, const std::string& text) {
    std::istringstream words(text);
    std::string kind;
    std::string bytes_text;
    words >> kind >> bytes_text;
    TrafficSpec spec;
    const bool needs_bytes = kind != "tls-greeting";
    if (kind == "kernel-bulk") {
        spec.kind = TrafficSpec::Kind::kernel_bulk;
    } else if (kind == "tls-greeting") {
        spec.kind = TrafficSpec::Kind::tls_greeting;
    } else if (kind == "tls-bulk") {
        spec.kind = TrafficSpec::Kind::tls_bulk;
    } else if (kind == "crafted-handshake") {
        spec.kind = TrafficSpec::Kind::crafted_handshake;
    } else {
        fail_value(source, "traffic", text,
                   "unknown traffic kind '" + kind +
                       "' (kernel-bulk BYTES, tls-greeting, tls-bulk BYTES, crafted-handshake "
                       "BYTES)");
    }
    if (needs_bytes) {
        char* end = nullptr;
        const unsigned long long bytes = std::strtoull(bytes_text.c_str(), &end, 10);
        if (bytes_text.empty() || *end != '\0' || bytes > (1ULL << 34)) {
            fail_value(source, "traffic", text,
                       "needs a byte count 0..17179869184 (16 GiB), e.g. '" + kind + " 300000'");
        }
        spec.bytes = bytes;
    } else if (!bytes_text.empty()) {
        fail_value(source, "traffic", text, "'" + kind + "' takes no byte count");
    }
    return spec;
}

UserCommands commands_from(const Source& source, const po::variables_map& vm) {
    UserCommands c;
    if (vm.count("server") != 0U) {
        c.server = vm["server"].as<std::string>();
    }
    if (vm.count("client") != 0U) {
        c.client = vm["client"].as<std::string>();
    }
    if (c.client.empty() && !c.server.empty()) {
        fail_at(source, "server", "a server command needs a client command to talk to it");
    }
    if (vm.count("server-ready-port") != 0U) {
        const int port = vm["server-ready-port"].as<int>();
        if (port < 1 || port > 65535) {
            fail_value(source, "server-ready-port", std::to_string(port), "must be 1..65535");
        }
        c.ready_port = static_cast<std::uint16_t>(port);
    }
    c.server_ready_timeout_s = vm["server-ready-timeout"].as<double>();
    c.client_timeout_s = vm["client-timeout"].as<double>();
    for (const auto& [key, value] : {std::pair{"server-ready-timeout", c.server_ready_timeout_s},
                                     std::pair{"client-timeout", c.client_timeout_s}}) {
        if (!(value > 0 && value <= 3600)) {
            fail_value(source, key, number_text(value), "must be 0 < S <= 3600 seconds");
        }
    }
    c.expect_client_exit = vm["expect-client-exit"].as<int>();
    if (c.expect_client_exit < 0 || c.expect_client_exit > 255) {
        fail_value(source, "expect-client-exit", std::to_string(c.expect_client_exit),
                   "must be 0..255");
    }
    return c;
}

ScenarioSpec spec_from(const Source& source, const po::variables_map& vm) {
    ScenarioSpec spec;
    spec.file = source.file;
    spec.name = source.file.stem().string();
    spec.description = vm["description"].as<std::string>();
    spec.ipv6 = vm["ipv6"].as<bool>();
    spec.cc = vm["cc"].as<std::string>();
    if (!std::all_of(spec.cc.begin(), spec.cc.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        })) {
        fail_value(source, "cc", spec.cc, "not a congestion control name (cubic, reno, bbr)");
    }
    spec.timeout_s = vm["timeout"].as<double>();
    if (!(spec.timeout_s > 0 && spec.timeout_s <= 3600)) {  // written so that NaN fails too
        fail_value(source, "timeout", number_text(spec.timeout_s), "must be 0 < S <= 3600 seconds");
    }
    if (vm.count("traffic") != 0U) {
        for (const auto& text : vm["traffic"].as<std::vector<std::string>>()) {
            spec.traffic.push_back(parse_traffic(source, text));
        }
    }
    spec.commands = commands_from(source, vm);
    if (spec.traffic.empty() && spec.commands.empty()) {
        fail_at(source, "",
                "no 'traffic = ...' line and no client command: a scenario needs traffic");
    }
    const auto& retrans = vm["expect-retransmissions"].as<std::string>();
    if (retrans == "none") {
        spec.expect.retransmissions = Expectations::Retransmissions::none;
    } else if (retrans == "some") {
        spec.expect.retransmissions = Expectations::Retransmissions::some;
    } else if (retrans != "any") {
        fail_value(source, "expect-retransmissions", retrans, "must be none, some or any");
    }
    const auto& handshake = vm["expect-handshake"].as<std::string>();
    if (handshake != "completed" && handshake != "failed") {
        fail_value(source, "expect-handshake", handshake, "must be completed or failed");
    }
    spec.expect.handshake_fails = handshake == "failed";
    spec.expect.out_of_order = vm["expect-out-of-order"].as<bool>();
    spec.expect.duplicate_ack = vm["expect-duplicate-ack"].as<bool>();
    if (vm.count("expect-syn-rto") != 0U) {
        spec.expect.syn_rto_s = vm["expect-syn-rto"].as<double>();
    }
    try {
        spec.impairment = netem::impairment_values_from(vm);
    } catch (const netem::BadValue& e) {
        fail_value(source, e.key(), e.value(), e.reason());
    }
    if (const auto problems = validate(spec.impairment); !problems.empty()) {
        fail_settings(source, problems);
    }
    return spec;
}

}  // namespace

// Built once: ~60 keys of option descriptions are hundreds of allocations, more than parsing a
// scenario file costs. Boost's parsers only read the description.
const po::options_description& scenario_key_options() {
    static const po::options_description desc = make_scenario_options();
    return desc;
}

ScenarioSpec load_scenario(const std::string& name_or_file, const std::vector<std::string>& flags) {
    if (name_or_file.empty()) {
        return parse_scenario("", fs::path(), flags);
    }
    fs::path file = name_or_file;
    const bool looks_like_path =
        name_or_file.find('/') != std::string::npos || file.extension() == ".ini";
    if (!looks_like_path) {
        file = scenario_directory() / (name_or_file + ".ini");
        if (!fs::exists(file)) {
            std::string names;
            for (const auto& spec : list_scenarios()) {
                names += (names.empty() ? "" : ", ") + spec.name;
            }
            throw UsageError("no scenario named '" + name_or_file + "' (known: " + names +
                             "; or give a path to your own FILE.ini)");
        }
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw UsageError(file.string() + ": cannot open scenario file");
    }
    return parse_scenario(std::string(std::istreambuf_iterator<char>(in), {}), file, flags);
}

// The command line's scenario keys, stored first: Boost keeps the first value it stores, so a
// flag overrides the file's key.
void store_flags(const std::vector<std::string>& flags, po::variables_map& vm) {
    try {
        po::store(po::command_line_parser(flags)
                      .options(scenario_options())
                      .style(po::command_line_style::default_style &
                             ~po::command_line_style::allow_guessing)
                      .run(),
                  vm);
    } catch (const po::unknown_option& e) {
        throw UsageError("unknown option " + e.get_option_name() +
                         " (the scenario keys are flags too: `tcplab scenario keys` lists them)");
    } catch (const po::error& e) {
        throw UsageError(netem::option_error_message(e));
    }
}

ScenarioSpec parse_scenario(const std::string& text, const fs::path& file,
                            const std::vector<std::string>& flags) {
    const fs::path shown = file.empty() ? fs::path("command line") : file;
    std::istringstream in(text);
    po::variables_map vm;
    store_flags(flags, vm);
    std::set<std::string> flag_keys;
    for (const auto& [name, value] : vm) {
        if (!value.defaulted()) {
            flag_keys.insert(name);
        }
    }
    const Source source{shown, text, flag_keys};
    try {
        po::store(po::parse_config_file(in, scenario_options(), /*allow_unregistered=*/false), vm);
        po::notify(vm);
    } catch (const po::unknown_option& e) {
        fail_at(source, e.get_option_name(),
                "unknown key (`tcplab scenario keys` lists every key)");
    } catch (const po::error_with_option_name& e) {
        std::string key = e.get_option_name();
        key.erase(0, key.find_first_not_of('-'));
        fail_at(source, key, netem::option_error_message(e));
    } catch (const po::error& e) {
        fail_at(source, "", netem::option_error_message(e));
    }
    ScenarioSpec spec = spec_from(source, vm);
    if (file.empty()) {
        spec.name = "command-line";
        spec.file.clear();
        if (spec.description.empty()) {
            spec.description = "given on the command line";
        }
    }
    return spec;
}

std::vector<netem::KeyDoc> scenario_keys() {
    std::vector<netem::KeyDoc> keys;
    for (const auto& key : kSpecKeys) {
        keys.push_back({key.name, key.values, key.meaning});
    }
    const auto impairment = netem::impairment_keys();
    keys.insert(keys.end(), impairment.begin(), impairment.end());
    return keys;
}

std::vector<ScenarioSpec> list_scenarios() {
    std::vector<ScenarioSpec> specs;
    const fs::path dir = scenario_directory();
    if (!fs::is_directory(dir)) {
        throw EnvironmentError("scenario directory " + dir.string() +
                               " does not exist (set TCPLAB_SCENARIOS)");
    }
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".ini") {
            specs.push_back(load_scenario(entry.path().string()));
        }
    }
    std::sort(specs.begin(), specs.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return specs;
}

}  // namespace tcplab::scenario
