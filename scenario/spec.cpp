#include "scenario/spec.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
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

po::options_description make_scenario_options() {
    po::options_description desc("scenario file keys");
    desc.add_options()("description", po::value<std::string>()->default_value(""),
                       "one line shown by `scenario list`")(
        "traffic", po::value<std::vector<std::string>>()->composing(),
        "repeatable: kernel-bulk BYTES | tls-greeting | tls-bulk BYTES | crafted-handshake BYTES")(
        "ipv6", po::value<bool>()->default_value(false), "run the traffic over IPv6")(
        "cc", po::value<std::string>()->default_value(""),
        "TCP congestion control in the client and server namespaces: cubic | reno | bbr | any "
        "the kernel offers (default: the kernel's)")(
        "timeout", po::value<double>()->default_value(60), "seconds the traffic phase may take")(
        "expect-retransmissions", po::value<std::string>()->default_value("any"),
        "none | some | any")(
        "expect-handshake", po::value<std::string>()->default_value("completed"),
        "completed | failed")("expect-out-of-order", po::value<bool>()->default_value(false),
                              "receiver shows out-of-order")(
        "expect-duplicate-ack", po::value<bool>()->default_value(false),
        "receiver shows duplicate ACKs")("expect-syn-rto", po::value<double>(),
                                         "RTO in seconds of a dropped SYN's retransmission")(
        "server", po::value<std::string>(),
        "your server: a /bin/sh command run in the server namespace first")(
        "client", po::value<std::string>(),
        "your client: a /bin/sh command run in the client namespace to completion; env "
        "TCPLAB_SERVER_ADDR(6), TCPLAB_CLIENT_ADDR(6), TCPLAB_OUT")(
        "server-ready-port", po::value<int>(),
        "wait until the server listens on this TCP port (default: any TCP listener)")(
        "server-ready-timeout", po::value<double>()->default_value(10),
        "seconds to wait for the server to listen")(
        "client-timeout", po::value<double>()->default_value(120),
        "seconds the client may run before it is stopped (a failure)")(
        "expect-client-exit", po::value<int>()->default_value(0),
        "the client's expected exit code (check client_exit)");
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

// The file being parsed: its name for messages, its text to find the line of a key in.
struct Source {
    const fs::path& file;
    const std::string& text;
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
        fail_at(source, "traffic",
                "unknown traffic kind '" + kind +
                    "' (kernel-bulk BYTES, tls-greeting, tls-bulk BYTES, crafted-handshake BYTES)");
    }
    if (needs_bytes) {
        char* end = nullptr;
        const unsigned long long bytes = std::strtoull(bytes_text.c_str(), &end, 10);
        if (bytes_text.empty() || *end != '\0' || bytes > (1ULL << 34)) {
            fail_at(source, "traffic",
                    "'" + text + "' needs a byte count (0 .. 16 GiB), e.g. '" + kind + " 300000'");
        }
        spec.bytes = bytes;
    } else if (!bytes_text.empty()) {
        fail_at(source, "traffic", "'" + kind + "' takes no byte count");
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
            fail_at(source, "server-ready-port", "must be 1..65535");
        }
        c.ready_port = static_cast<std::uint16_t>(port);
    }
    c.server_ready_timeout_s = vm["server-ready-timeout"].as<double>();
    c.client_timeout_s = vm["client-timeout"].as<double>();
    for (const auto& [key, value] : {std::pair{"server-ready-timeout", c.server_ready_timeout_s},
                                     std::pair{"client-timeout", c.client_timeout_s}}) {
        if (!(value > 0 && value <= 3600)) {
            fail_at(source, key, "must be between 0 and 3600 seconds");
        }
    }
    c.expect_client_exit = vm["expect-client-exit"].as<int>();
    if (c.expect_client_exit < 0 || c.expect_client_exit > 255) {
        fail_at(source, "expect-client-exit", "must be 0..255");
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
        fail_at(source, "cc",
                "'" + spec.cc + "' is not a congestion control name (cubic, reno, bbr)");
    }
    spec.timeout_s = vm["timeout"].as<double>();
    if (!(spec.timeout_s > 0 && spec.timeout_s <= 3600)) {  // written so that NaN fails too
        fail_at(source, "timeout", "must be between 0 and 3600 seconds");
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
        fail_at(source, "expect-retransmissions", "'" + retrans + "' is not none, some or any");
    }
    const auto& handshake = vm["expect-handshake"].as<std::string>();
    if (handshake != "completed" && handshake != "failed") {
        fail_at(source, "expect-handshake", "'" + handshake + "' is not completed or failed");
    }
    spec.expect.handshake_fails = handshake == "failed";
    spec.expect.out_of_order = vm["expect-out-of-order"].as<bool>();
    spec.expect.duplicate_ack = vm["expect-duplicate-ack"].as<bool>();
    if (vm.count("expect-syn-rto") != 0U) {
        spec.expect.syn_rto_s = vm["expect-syn-rto"].as<double>();
    }
    try {
        spec.impairment = netem::impairment_from(vm);
    } catch (const UsageError& e) {
        fail_at(source, "", e.what());
    }
    for (const auto& problem : validate(spec.impairment)) {
        fail_at(source, "", problem);
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
                         " (the scenario keys are flags too: see `tcplab scenario run --help`)");
    } catch (const po::error& e) {
        throw UsageError(netem::option_error_message(e));
    }
}

ScenarioSpec parse_scenario(const std::string& text, const fs::path& file,
                            const std::vector<std::string>& flags) {
    const fs::path shown = file.empty() ? fs::path("command line") : file;
    const Source source{shown, text};
    std::istringstream in(text);
    po::variables_map vm;
    store_flags(flags, vm);
    try {
        po::store(po::parse_config_file(in, scenario_options(), /*allow_unregistered=*/false), vm);
        po::notify(vm);
    } catch (const po::unknown_option& e) {
        fail_at(source, e.get_option_name(),
                "unknown key (see `tcplab scenario run --help` for the keys)");
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
