// tcplab ca init|issue|renew|show: flag parsing only; the work is in tls/ca.hpp and
// tls/cert_info.hpp.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "app/cli.hpp"
#include "base/errors.hpp"
#include "tls/ca.hpp"
#include "tls/cert_info.hpp"

namespace tcplab::app {

namespace {

// "tcplab ca: warning: pki/s1.pem expires in 12 days (...); re-issue it: tcplab ca renew ..." on
// stderr when `file` expires within `days` (a warning: the exit code stays 0).
void warn_if_expiring(const std::filesystem::path& file, const tls::CertSummary& summary,
                      int days) {
    const auto warning = tls::expiry_warning(summary, std::chrono::system_clock::now(), days);
    if (!warning) {
        return;
    }
    std::cerr << "tcplab ca: warning: " << file.string() << " " << *warning;
    if (summary.is_ca) {
        std::cerr << "; a CA is replaced with `tcplab ca init` in a new directory, then each "
                     "certificate issued again\n";
    } else {
        const std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
        std::cerr << "; re-issue it: tcplab ca renew --dir " << dir.string() << " --name "
                  << file.stem().string() << "\n";
    }
}

int warn_days_flag(int days) {
    if (days < 0 || days > 36500) {
        throw UsageError("--warn-days " + std::to_string(days) + ": expected 0..36500");
    }
    return days;
}

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
    int warn_days = 0;
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
        "explicit end of validity (a past date makes an expired certificate)")(
        "warn-days", po::value(&warn_days)->default_value(tls::kExpiryWarningDays),
        "warn when the new certificate or the CA expires within this many days");
    const auto vm = parse_command_line(
        {"tcplab ca issue --dir D --name NAME --role server|client [--san LIST] [--key K] [--days "
         "N]",
         "Issues a certificate signed by D/ca.key: SHA-256, random 128-bit serial, serverAuth or\n"
         "clientAuth EKU, SANs. Writes D/NAME.pem and D/NAME.key (mode 0600). Never overwrites\n"
         "(ca renew re-issues). Warns when the certificate or the CA expires within --warn-days.",
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
    warn_days_flag(warn_days);
    const auto files = tls::issue_certificate(o);
    std::cout << "wrote " << files.cert.string() << " and " << files.key.string()
              << " (mode 0600)\n";
    warn_if_expiring(files.cert, tls::summarize_file(files.cert), warn_days);
    const std::filesystem::path ca = std::filesystem::path(dir) / "ca.pem";
    warn_if_expiring(ca, tls::summarize_file(ca), warn_days);
    return kExitOk;
}

int ca_renew(const Args& args) {
    std::string dir;
    std::string name;
    std::string key;
    int days = 0;
    po::options_description options = option_group("ca renew options");
    options.add_options()("dir", po::value(&dir)->required(),
                          "CA directory (holds ca.pem, ca.key and NAME.pem)")(
        "name", po::value(&name)->required(), "the certificate to re-issue: D/NAME.pem")(
        "days", po::value(&days)->default_value(825), "validity in days from now")(
        "key", po::value(&key),
        "key type of the new key (default: the old key's type and size): ec, ec:p384, rsa:2048, "
        "rsa:3072, rsa:4096, ed25519");
    const auto vm = parse_command_line(
        {"tcplab ca renew --dir D --name NAME [--days N] [--key K]",
         "Re-issues D/NAME.pem, expired or not: a new key and validity from now, the same "
         "subject,\n"
         "SANs and role (serverAuth or clientAuth), signed by D/ca.key. The old pair is kept as\n"
         "D/NAME.pem.old and D/NAME.key.old.",
         "example:\n  tcplab ca renew --dir pki --name server"},
        options, args);
    if (!vm) {
        return kExitOk;
    }
    tls::RenewOptions o;
    o.dir = dir;
    o.name = name;
    o.days = days;
    if (!key.empty()) {
        o.key = tls::KeySpec::parse(key);
    }
    const auto files = tls::renew_certificate(o);
    const auto summary = tls::summarize_file(files.cert);
    std::cout << "renewed " << files.cert.string() << " and " << files.key.string()
              << " (mode 0600): valid until " << summary.not_after << "; the old pair is "
              << files.cert.filename().string() << ".old, " << files.key.filename().string()
              << ".old\n";
    const std::filesystem::path ca = std::filesystem::path(dir) / "ca.pem";
    warn_if_expiring(ca, tls::summarize_file(ca), tls::kExpiryWarningDays);
    return kExitOk;
}

int ca_show(const Args& args) {
    std::vector<std::string> files;
    int warn_days = 0;
    po::options_description options = option_group("ca show options");
    options.add_options()("file", po::value(&files)->required(), "PEM certificate file(s)")(
        "warn-days", po::value(&warn_days)->default_value(tls::kExpiryWarningDays),
        "warn (on stderr) about a certificate that expires within this many days");
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
    warn_days_flag(warn_days);
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto summary = tls::summarize_file(files[i]);
        std::cout << (i == 0 ? "" : "\n") << "file:        " << files[i] << "\n"
                  << tls::format_summary(summary) << std::flush;
        warn_if_expiring(files[i], summary, warn_days);
    }
    return kExitOk;
}

}  // namespace

int run_ca(const Args& args) {
    const std::string usage =
        "usage: tcplab ca init|issue|renew|show ...   (tcplab ca <action> --help)\n"
        "  init   create a CA in a directory\n"
        "  issue  issue a server or client certificate signed by that CA\n"
        "  renew  re-issue one with a new key, the same subject and SANs\n"
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
    if (action == "renew") {
        return ca_renew(rest);
    }
    if (action == "show") {
        return ca_show(rest);
    }
    throw UsageError("unknown action '" + action + "'\n" + usage);
}

}  // namespace tcplab::app
