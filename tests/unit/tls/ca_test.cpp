// CA toolkit: files and modes, certificate fields cross-checked against `openssl x509`, chain
// and purpose checked by `openssl verify`, and bad input refused with a message naming it.
#include "tls/ca.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/errors.hpp"
#include "test_support.hpp"
#include "tls/cert_info.hpp"
#include "tls/detail/key_file.hpp"

namespace tcplab::tls {
namespace {

namespace fs = std::filesystem;
using test::run;
using test::TempDir;

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
}

std::string openssl_field(const TempDir& tmp, const fs::path& cert, const std::string& flag) {
    const auto r = run({"openssl", "x509", "-in", cert.string(), "-noout", flag}, tmp.path());
    EXPECT_EQ(r.rc, 0) << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

class CaTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::have_openssl()) {
            GTEST_SKIP() << "openssl CLI not installed (the independent checker)";
        }
    }
    TempDir tmp;
};

TEST_F(CaTest, KeyFilesAre0600EvenWithAPermissiveUmask) {
    const mode_t old = ::umask(0);  // the worst case: nothing masked
    init_ca({tmp / "pki", "test CA", KeySpec{}, 30});
    IssueOptions o;
    o.dir = tmp / "pki";
    o.name = "s1";
    issue_certificate(o);
    ::umask(old);
    EXPECT_EQ(mode_of(tmp / "pki/ca.key"), 0600U);
    EXPECT_EQ(mode_of(tmp / "pki/s1.key"), 0600U);
    EXPECT_EQ(mode_of(tmp / "pki/ca.pem"), 0644U);
    EXPECT_EQ(mode_of(tmp / "pki"), 0700U);
}

TEST_F(CaTest, RefusesToOverwriteAKey) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 30});
    const std::string before = read_file(tmp / "pki/ca.key");
    EXPECT_THROW(init_ca({tmp / "pki", "test CA", KeySpec{}, 30}), UsageError);
    IssueOptions o;
    o.dir = tmp / "pki";
    o.name = "s1";
    issue_certificate(o);
    EXPECT_THROW(issue_certificate(o), UsageError);
    EXPECT_EQ(read_file(tmp / "pki/ca.key"), before);
}

TEST_F(CaTest, CaCertificateHasTheRequiredExtensions) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 30});
    const auto text =
        run({"openssl", "x509", "-in", (tmp / "pki/ca.pem").string(), "-noout", "-text"},
            tmp.path())
            .out;
    EXPECT_NE(text.find("X509v3 Basic Constraints: critical"), std::string::npos) << text;
    EXPECT_NE(text.find("CA:TRUE"), std::string::npos);
    EXPECT_NE(text.find("X509v3 Key Usage: critical"), std::string::npos);
    EXPECT_NE(text.find("Certificate Sign, CRL Sign"), std::string::npos);
    EXPECT_NE(text.find("X509v3 Subject Key Identifier"), std::string::npos);
    EXPECT_NE(text.find("ecdsa-with-SHA256"), std::string::npos);
    // Self-signed and valid as a CA by openssl's own rules.
    const auto v = run({"openssl", "verify", "-CAfile", (tmp / "pki/ca.pem").string(),
                        (tmp / "pki/ca.pem").string()},
                       tmp.path());
    EXPECT_EQ(v.rc, 0) << v.out << v.err;
}

struct KeyCase {
    const char* spec;
    const char* openssl_key_line;  // in `openssl x509 -text`
    const char* signature;
};

class IssueKeys : public CaTest, public ::testing::WithParamInterface<KeyCase> {};

TEST_P(IssueKeys, ServerCertVerifiesForItsPurposeOnly) {
    // CA and server use the same key type, so the signature algorithm follows it too.
    init_ca({tmp / "pki", "test CA", KeySpec::parse(GetParam().spec), 30});
    IssueOptions o;
    o.dir = tmp / "pki";
    o.name = "srv";
    o.key = KeySpec::parse(GetParam().spec);
    issue_certificate(o);
    const std::string ca = (tmp / "pki/ca.pem").string();
    const std::string pem = (tmp / "pki/srv.pem").string();
    EXPECT_EQ(
        run({"openssl", "verify", "-CAfile", ca, "-purpose", "sslserver", pem}, tmp.path()).rc, 0);
    EXPECT_NE(
        run({"openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", pem}, tmp.path()).rc, 0);
    const auto text = run({"openssl", "x509", "-in", pem, "-noout", "-text"}, tmp.path()).out;
    EXPECT_NE(text.find(GetParam().openssl_key_line), std::string::npos) << text;
    EXPECT_NE(text.find("TLS Web Server Authentication"), std::string::npos);
    EXPECT_NE(text.find(std::string("Signature Algorithm: ") + GetParam().signature),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"),
              std::string::npos)
        << text;
    // The key file holds the private half of the certificate's public key.
    const auto from_cert =
        run({"openssl", "x509", "-in", pem, "-noout", "-pubkey"}, tmp.path()).out;
    const auto from_key =
        run({"openssl", "pkey", "-in", (tmp / "pki/srv.key").string(), "-pubout"}, tmp.path()).out;
    EXPECT_FALSE(from_cert.empty());
    EXPECT_EQ(from_cert, from_key);
}

INSTANTIATE_TEST_SUITE_P(
    Keys, IssueKeys,
    ::testing::Values(KeyCase{"ec", "ASN1 OID: prime256v1", "ecdsa-with-SHA256"},
                      KeyCase{"rsa:2048", "Public-Key: (2048 bit)", "sha256WithRSAEncryption"},
                      KeyCase{"ed25519", "ED25519 Public-Key", "ED25519"}),
    [](const auto& info) {
        std::string n = info.param.spec;
        return n.substr(0, n.find(':')) +
               (n.find(':') == std::string::npos ? "" : n.substr(n.find(':') + 1));
    });

TEST_F(CaTest, ClientCertVerifiesForClientAuthOnly) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 30});
    IssueOptions o;
    o.dir = tmp / "pki";
    o.name = "c1";
    o.role = CertRole::client;
    issue_certificate(o);
    const std::string ca = (tmp / "pki/ca.pem").string();
    const std::string pem = (tmp / "pki/c1.pem").string();
    EXPECT_EQ(
        run({"openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", pem}, tmp.path()).rc, 0);
    EXPECT_NE(
        run({"openssl", "verify", "-CAfile", ca, "-purpose", "sslserver", pem}, tmp.path()).rc, 0);
}

TEST_F(CaTest, ExpiredCertificateIsExpiredForOpenssl) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 30});
    IssueOptions o;
    o.dir = tmp / "pki";
    o.name = "old";
    o.role = CertRole::client;
    o.not_before = parse_utc_time("2020-01-01", "--not-before");
    o.not_after = parse_utc_time("2020-02-01T12:00:00Z", "--not-after");
    issue_certificate(o);
    const auto v = run({"openssl", "verify", "-CAfile", (tmp / "pki/ca.pem").string(),
                        (tmp / "pki/old.pem").string()},
                       tmp.path());
    EXPECT_NE(v.rc, 0);
    EXPECT_NE((v.out + v.err).find("certificate has expired"), std::string::npos) << v.out << v.err;
    const auto s = summarize_file(tmp / "pki/old.pem");
    EXPECT_EQ(s.not_after, "2020-02-01T12:00:00Z");
    EXPECT_EQ(s.validity_state, "expired");
}

// Every field `ca show` prints, compared with what openssl reads from the same file.
TEST_F(CaTest, ShowMatchesOpensslFieldByField) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 30});
    IssueOptions o;
    o.dir = tmp / "pki";
    o.name = "srv";
    o.sans = parse_san_list("DNS:localhost,DNS:srv.lab.test,IP:198.19.1.2,IP:fd7c:1:2::2");
    o.key = KeySpec::parse("rsa:3072");
    issue_certificate(o);
    const fs::path pem = tmp / "pki/srv.pem";
    const auto s = summarize_file(pem);

    EXPECT_EQ("subject=" + s.subject, openssl_field(tmp, pem, "-subject"));
    EXPECT_EQ("issuer=" + s.issuer, openssl_field(tmp, pem, "-issuer"));
    EXPECT_EQ("serial=" + s.serial, openssl_field(tmp, pem, "-serial"));
    const auto fp =
        run({"openssl", "x509", "-in", pem.string(), "-noout", "-fingerprint", "-sha256"},
            tmp.path())
            .out;
    EXPECT_EQ("sha256 Fingerprint=" + s.sha256_fingerprint + "\n", fp);
    EXPECT_EQ(s.common_name, "srv");
    EXPECT_EQ(s.key_type, "RSA");
    EXPECT_EQ(s.key_bits, 3072);
    EXPECT_FALSE(s.is_ca);
    EXPECT_EQ(s.ext_key_usage, std::vector<std::string>{"serverAuth"});
    EXPECT_EQ(s.sans, (std::vector<std::string>{"DNS:localhost", "DNS:srv.lab.test",
                                                "IP:198.19.1.2", "IP:fd7c:1:2::2"}));
    EXPECT_EQ(s.validity_state, "valid");
    // 128 random bits: 32 hex digits (the top bit is set, so never fewer).
    EXPECT_EQ(s.serial.size(), 32U) << s.serial;
    EXPECT_EQ(s.serial.find_first_not_of("0123456789ABCDEF"), std::string::npos) << s.serial;

    // Dates: openssl prints "notBefore=Nov 26 05:08:42 2026 GMT"; compare as time values.
    const auto dates =
        run({"openssl", "x509", "-in", pem.string(), "-noout", "-dates", "-dateopt", "iso_8601"},
            tmp.path())
            .out;
    std::string nb = s.not_before;
    nb[10] = ' ';  // "2026-11-26 05:08:42Z" is openssl's ISO form
    std::string na = s.not_after;
    na[10] = ' ';
    EXPECT_NE(dates.find("notBefore=" + nb), std::string::npos) << dates << " vs " << nb;
    EXPECT_NE(dates.find("notAfter=" + na), std::string::npos) << dates << " vs " << na;

    const auto text = format_summary(s);
    EXPECT_NE(text.find("key:         RSA 3072 bits"), std::string::npos) << text;
    EXPECT_NE(
        text.find("san:         DNS:localhost, DNS:srv.lab.test, IP:198.19.1.2, IP:fd7c:1:2::2"),
        std::string::npos);
}

TEST_F(CaTest, TwoCertificatesNeverShareASerial) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 30});
    IssueOptions a;
    a.dir = tmp / "pki";
    a.name = "a";
    issue_certificate(a);
    a.name = "b";
    issue_certificate(a);
    EXPECT_NE(summarize_file(tmp / "pki/a.pem").serial, summarize_file(tmp / "pki/b.pem").serial);
}

TEST(CaInput, BadValuesAreUsageErrorsNamingTheValue) {
    const auto message = [](auto fn) {
        try {
            fn();
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message([] { parse_san_list("DNS:ok,IP:300.1.1.1"); }).find("IP:300.1.1.1"),
              std::string::npos);
    EXPECT_NE(message([] { parse_san_list("URI:http://x"); }).find("URI:http://x"),
              std::string::npos);
    EXPECT_NE(message([] { KeySpec::parse("dsa"); }).find("'dsa'"), std::string::npos);
    EXPECT_NE(message([] { parse_role("admin"); }).find("--role 'admin'"), std::string::npos);
    EXPECT_NE(message([] { parse_utc_time("2020-13-01", "--not-after"); }).find("--not-after"),
              std::string::npos);
    TempDir tmp;
    EXPECT_NE(message([&] {
                  IssueOptions o;
                  o.dir = tmp / "nothing-here";
                  o.name = "x";
                  issue_certificate(o);
              }).find("file not found"),
              std::string::npos);
    EXPECT_NE(message([&] {
                  IssueOptions o;
                  o.dir = tmp.path();
                  o.name = "../escape";
                  issue_certificate(o);
              }).find("plain file name"),
              std::string::npos);
    EXPECT_EQ(parse_san_list("DNS:a.b, IP:::1"), (std::vector<std::string>{"DNS:a.b", "IP:::1"}));
}

// The CLI end to end: files, exit codes, and `ca show` printing the fields.
TEST_F(CaTest, CliInitIssueShow) {
    const std::string bin = TCPLAB_BINARY;
    const std::string dir = (tmp / "cli").string();
    EXPECT_EQ(run({bin, "ca", "init", "--dir", dir}, tmp.path()).rc, 0);
    EXPECT_EQ(run({bin, "ca", "issue", "--dir", dir, "--name", "c1", "--role", "client", "--key",
                   "ed25519"},
                  tmp.path())
                  .rc,
              0);
    const auto show = run({bin, "ca", "show", dir + "/c1.pem"}, tmp.path());
    ASSERT_EQ(show.rc, 0) << show.err;
    EXPECT_NE(show.out.find("subject:     O = tcplab, CN = c1"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("issuer:      O = tcplab, CN = tcplab CA"), std::string::npos);
    EXPECT_NE(show.out.find("key:         ED25519 256 bits"), std::string::npos);
    EXPECT_NE(show.out.find("eku:         clientAuth"), std::string::npos);
    EXPECT_NE(show.out.find("sha256:      " + summarize_file(dir + "/c1.pem").sha256_fingerprint),
              std::string::npos);

    const auto again = run({bin, "ca", "init", "--dir", dir}, tmp.path());
    EXPECT_EQ(again.rc, 2);
    EXPECT_NE(again.err.find("refusing to overwrite"), std::string::npos) << again.err;
    const auto bad_role =
        run({bin, "ca", "issue", "--dir", dir, "--name", "x", "--role", "admin"}, tmp.path());
    EXPECT_EQ(bad_role.rc, 2);
    EXPECT_NE(bad_role.err.find("--role 'admin'"), std::string::npos) << bad_role.err;
    const auto missing = run({bin, "ca", "show", dir + "/nope.pem"}, tmp.path());
    EXPECT_EQ(missing.rc, 2);
    EXPECT_NE(missing.err.find("nope.pem: file not found"), std::string::npos) << missing.err;
}

// ca renew: openssl sees the same subject, SANs, EKU and key type, a new serial, key and
// validity, a chain that verifies for the same purpose, and the old pair kept beside it.
TEST_F(CaTest, RenewKeepsSubjectSansAndRoleWithANewKeyAndValidity) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 3650});
    IssueOptions o;
    o.dir = tmp / "pki";
    o.name = "lab";
    o.role = CertRole::server;
    o.sans = parse_san_list("DNS:lab.example,IP:10.0.0.1,IP:fd7c::2");
    o.key = KeySpec::parse("rsa:2048");
    o.days = 5;
    issue_certificate(o);
    const fs::path pem = tmp / "pki/lab.pem";
    const fs::path key = tmp / "pki/lab.key";
    const std::string old_pem = read_file(pem);
    const std::string old_key = read_file(key);
    const auto field = [&](const std::string& flag) { return openssl_field(tmp, pem, flag); };
    const std::string subject = field("-subject");
    const auto san_ext = [&] {
        return run({"openssl", "x509", "-in", pem.string(), "-noout", "-ext", "subjectAltName"},
                   tmp.path())
            .out;
    };
    const std::string sans = san_ext();
    const std::string serial = field("-serial");
    const std::string end = field("-enddate");

    RenewOptions r;
    r.dir = tmp / "pki";
    r.name = "lab";
    r.days = 400;
    renew_certificate(r);

    EXPECT_EQ(field("-subject"), subject);
    EXPECT_EQ(san_ext(), sans);
    const auto text = run({"openssl", "x509", "-in", pem.string(), "-noout", "-text"}, tmp.path());
    EXPECT_NE(text.out.find("DNS:lab.example, IP Address:10.0.0.1, IP Address:FD7C:0:0:0:0:0:0:2"),
              std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("Public-Key: (2048 bit)"), std::string::npos) << text.out;
    EXPECT_NE(field("-serial"), serial);
    EXPECT_NE(field("-enddate"), end);
    EXPECT_EQ(run({"openssl", "x509", "-in", pem.string(), "-noout", "-checkend",
                   std::to_string(399 * 86400)},
                  tmp.path())
                  .rc,
              0)
        << "valid for the 400 days asked";
    const std::string ca = (tmp / "pki/ca.pem").string();
    EXPECT_EQ(
        run({"openssl", "verify", "-CAfile", ca, "-purpose", "sslserver", pem.string()}, tmp.path())
            .rc,
        0);
    EXPECT_NE(
        run({"openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", pem.string()}, tmp.path())
            .rc,
        0);
    // A new key, and the key file holds the private half of the new certificate.
    EXPECT_NE(read_file(key), old_key);
    EXPECT_EQ(run({"openssl", "x509", "-in", pem.string(), "-noout", "-pubkey"}, tmp.path()).out,
              run({"openssl", "pkey", "-in", key.string(), "-pubout"}, tmp.path()).out);
    EXPECT_EQ(mode_of(key), 0600U);
    // The old pair, untouched, beside it.
    EXPECT_EQ(read_file(tmp / "pki/lab.pem.old"), old_pem);
    EXPECT_EQ(read_file(tmp / "pki/lab.key.old"), old_key);
    EXPECT_EQ(mode_of(tmp / "pki/lab.key.old"), 0600U);
    EXPECT_FALSE(fs::exists(tmp / "pki/lab.pem.new"));

    // Again: the .old pair of the first renewal gives way to the second's.
    const std::string first_renewal = read_file(pem);
    renew_certificate(r);
    EXPECT_EQ(read_file(tmp / "pki/lab.pem.old"), first_renewal);
}

TEST_F(CaTest, RenewOfAClientKeepsClientAuthAndTheKeyType) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 3650});
    IssueOptions o;
    o.dir = tmp / "pki";
    o.name = "c1";
    o.role = CertRole::client;
    o.key = KeySpec::parse("ed25519");
    issue_certificate(o);
    renew_certificate({tmp / "pki", "c1", 30, std::nullopt});
    const auto s = summarize_file(tmp / "pki/c1.pem");
    EXPECT_EQ(s.ext_key_usage, std::vector<std::string>{"clientAuth"});
    EXPECT_EQ(s.key_type, "ED25519");
    EXPECT_TRUE(s.sans.empty());
}

TEST_F(CaTest, RenewWithoutACertificateNamesTheFile) {
    init_ca({tmp / "pki", "test CA", KeySpec{}, 3650});
    try {
        renew_certificate({tmp / "pki", "nobody", 30, std::nullopt});
        ADD_FAILURE() << "no error for a missing certificate";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("nobody.pem"), std::string::npos) << e.what();
    }
    EXPECT_THROW(renew_certificate({tmp / "pki", "ca", 30, std::nullopt}), UsageError);
}

TEST(ExpiryWarning, WithinTheWindowExpiredOrNothing) {
    CertSummary s;
    const auto now = std::chrono::system_clock::now();
    s.not_after = "2026-12-16T10:00:00Z";
    s.not_after_time = now + std::chrono::days(12) + std::chrono::hours(1);
    EXPECT_EQ(expiry_warning(s, now, 30), "expires in 12 days (2026-12-16T10:00:00Z)");
    EXPECT_EQ(expiry_warning(s, now, 12), std::nullopt);  // 12 days and an hour: not within 12
    s.not_after_time = now + std::chrono::days(40);
    EXPECT_EQ(expiry_warning(s, now, 30), std::nullopt);
    s.not_after_time = now + std::chrono::hours(30);
    EXPECT_EQ(expiry_warning(s, now, 30), "expires in 1 day (2026-12-16T10:00:00Z)");
    s.not_after_time = now - std::chrono::days(3) - std::chrono::hours(1);
    EXPECT_EQ(expiry_warning(s, now, 30), "expired 3 days ago (2026-12-16T10:00:00Z)");
}

// The CLI: ca show and ca issue warn on stderr (exit 0) about a certificate that expires within
// --warn-days with the renew command to run, and ca renew re-issues it.
TEST_F(CaTest, CliWarnsAboutExpiryAndRenews) {
    const std::string bin = TCPLAB_BINARY;
    const std::string dir = (tmp / "cli").string();
    ASSERT_EQ(run({bin, "ca", "init", "--dir", dir}, tmp.path()).rc, 0);
    const auto issue = run(
        {bin, "ca", "issue", "--dir", dir, "--name", "soon", "--role", "server", "--days", "10"},
        tmp.path());
    ASSERT_EQ(issue.rc, 0) << issue.err;
    EXPECT_NE(issue.err.find("warning: " + dir + "/soon.pem expires in 10 days"), std::string::npos)
        << issue.err;
    EXPECT_NE(issue.err.find("tcplab ca renew --dir " + dir + " --name soon"), std::string::npos)
        << issue.err;

    const auto show = run({bin, "ca", "show", dir + "/soon.pem"}, tmp.path());
    EXPECT_EQ(show.rc, 0);
    EXPECT_NE(show.err.find("expires in 10 days"), std::string::npos) << show.err;
    const auto narrow = run({bin, "ca", "show", "--warn-days", "5", dir + "/soon.pem"}, tmp.path());
    EXPECT_EQ(narrow.rc, 0);
    EXPECT_EQ(narrow.err, "");
    const auto ca_show = run({bin, "ca", "show", dir + "/ca.pem"}, tmp.path());
    EXPECT_EQ(ca_show.err, "") << "a CA valid for 10 years is not warned about";

    const auto renew = run({bin, "ca", "renew", "--dir", dir, "--name", "soon"}, tmp.path());
    ASSERT_EQ(renew.rc, 0) << renew.err;
    EXPECT_NE(renew.out.find("renewed " + dir + "/soon.pem"), std::string::npos) << renew.out;
    const auto after = run({bin, "ca", "show", dir + "/soon.pem"}, tmp.path());
    EXPECT_EQ(after.rc, 0);
    EXPECT_EQ(after.err, "") << "renewed for 825 days";

    const auto twice =
        run({bin, "ca", "issue", "--dir", dir, "--name", "soon", "--role", "server"}, tmp.path());
    EXPECT_EQ(twice.rc, 2);
    EXPECT_NE(twice.err.find("tcplab ca renew"), std::string::npos) << twice.err;
}

}  // namespace
}  // namespace tcplab::tls
