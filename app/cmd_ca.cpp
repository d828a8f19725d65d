// tcplab ca init|issue|show: flag parsing only; the work is in tls/ca.hpp and tls/cert_info.hpp.
#include <iostream>

#include "app/cli.hpp"
#include "base/errors.hpp"
#include "tls/ca.hpp"
#include "tls/cert_info.hpp"

namespace tcplab::app {

namespace {

int ca_init(const Args& args) {
    std::string dir;
    std::string cn;
    std::string key;
    int days = 0;
    po::options_description options = option_group("ca init options");
    options.add_options()("dir", po::value(&dir)->required(),
                          "directory to create ca.pem and ca.key in (created 0700)")(
        "cn", po::value(&cn)->default_value("tcplab CA"), "subject common name of the CA")(
        "key", po::value(&key)->default_value("ec"),
        "key type: ec, ec:p384, rsa:2048, rsa:3072, rsa:4096, ed25519")(
        "days", po::value(&days)->default_value(3650), "validity in days");
    const auto vm = parse_command_line(
        {"tcplab ca init --dir D [--cn NAME] [--key ec|rsa:N|ed25519] [--days N]",
         "Creates a self-signed CA (basicConstraints CA:TRUE critical, keyCertSign/cRLSign, "
         "subject key id)\n"
         "in D/ca.pem with its private key in D/ca.key (mode 0600). Never overwrites.",
         "example:\n  tcplab ca init --dir pki"},
        options, args);
    if (!vm) {
        return kExitOk;
    }
    tls::CaInitOptions o;
    o.dir = dir;
    o.common_name = cn;
    o.key = tls::KeySpec::parse(key);
    o.days = days;
    const auto files = tls::init_ca(o);
    std::cout << "wrote " << files.cert.string() << " and " << files.key.string()
              << " (mode 0600)\n";
    return kExitOk;
}

int ca_issue(const Args& args) {
    std::string dir;
    std::string name;
    std::string role;
    std::string san;
    std::string key;
    std::string not_before;
    std::string not_after;
    int days = 0;
    po::options_description options = option_group("ca issue options");
    options.add_options()("dir", po::value(&dir)->required(),
                          "CA directory (holds ca.pem and ca.key)")(
        "name", po::value(&name)->required(),
        "certificate name: subject CN and files D/NAME.pem, D/NAME.key")(
        "role", po::value(&role)->required(), "server (EKU serverAuth) or client (EKU clientAuth)")(
        "san", po::value(&san),
        "subject alternative names, e.g. DNS:localhost,IP:127.0.0.1,IP:::1 "
        "(server default: exactly that; client default: none)")(
        "key", po::value(&key)->default_value("ec"),
        "key type: ec, ec:p384, rsa:2048, rsa:3072, rsa:4096, ed25519")(
        "days", po::value(&days)->default_value(825), "validity in days from now")(
        "not-before", po::value(&not_before),
        "explicit start of validity, YYYY-MM-DD[THH:MM:SSZ] (UTC)")(
        "not-after", po::value(&not_after),
        "explicit end of validity (a past date makes an expired certificate)");
    const auto vm = parse_command_line(
        {"tcplab ca issue --dir D --name NAME --role server|client [--san LIST] [--key K] [--days "
         "N]",
         "Issues a certificate signed by D/ca.key: SHA-256, random 128-bit serial, serverAuth or\n"
         "clientAuth EKU, SANs. Writes D/NAME.pem and D/NAME.key (mode 0600). Never overwrites.",
         "examples:\n  tcplab ca issue --dir pki --name server --role server\n"
         "  tcplab ca issue --dir pki --name c1 --role client --key rsa:2048\n"
         "  tcplab ca issue --dir pki --name old --role client --not-before 2020-01-01 --not-after "
         "2020-02-01"},
        options, args);
    if (!vm) {
        return kExitOk;
    }
    tls::IssueOptions o;
    o.dir = dir;
    o.name = name;
    o.role = tls::parse_role(role);
    if (vm->count("san") != 0U) {
        o.sans = tls::parse_san_list(san);
    }
    o.key = tls::KeySpec::parse(key);
    o.days = days;
    if (!not_before.empty()) {
        o.not_before = tls::parse_utc_time(not_before, "--not-before");
    }
    if (!not_after.empty()) {
        o.not_after = tls::parse_utc_time(not_after, "--not-after");
    }
    const auto files = tls::issue_certificate(o);
    std::cout << "wrote " << files.cert.string() << " and " << files.key.string()
              << " (mode 0600)\n";
    return kExitOk;
}

int ca_show(const Args& args) {
    std::vector<std::string> files;
    po::options_description options = option_group("ca show options");
    options.add_options()("file", po::value(&files)->required(), "PEM certificate file(s)");
    po::positional_options_description positional;
    positional.add("file", -1);
    const auto vm = parse_command_line({"tcplab ca show FILE...",
                                        "Prints subject, issuer, SANs, validity, serial, key "
                                        "type/size, CA flag, EKU and the SHA-256\n"
                                        "fingerprint of each certificate.",
                                        "example:\n  tcplab ca show pki/server.pem"},
                                       options, args, &positional);
    if (!vm) {
        return kExitOk;
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto summary = tls::summarize_file(files[i]);
        std::cout << (i == 0 ? "" : "\n") << "file:        " << files[i] << "\n"
                  << tls::format_summary(summary);
    }
    return kExitOk;
}

}  // namespace

int run_ca(const Args& args) {
    const std::string usage =
        "usage: tcplab ca init|issue|show ...   (tcplab ca <action> --help)\n"
        "  init   create a CA in a directory\n"
        "  issue  issue a server or client certificate signed by that CA\n"
        "  show   print the fields of a certificate\n";
    if (args.empty()) {
        throw UsageError("missing action\n" + usage);
    }
    const std::string& action = args.front();
    const Args rest(args.begin() + 1, args.end());
    if (action == "--help" || action == "-h") {
        std::cout << usage;
        return kExitOk;
    }
    if (action == "init") {
        return ca_init(rest);
    }
    if (action == "issue") {
        return ca_issue(rest);
    }
    if (action == "show") {
        return ca_show(rest);
    }
    throw UsageError("unknown action '" + action + "'\n" + usage);
}

}  // namespace tcplab::app
