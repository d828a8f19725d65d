#pragma once
// Plain words for TLS failures: what a verification error or an alert means for the person at
// the keyboard, and which flag to look at.
#include <string>

namespace tcplab::tls {

// For an X509_V_ERR_* seen by a client verifying the server:
// "certificate verify failed: unable to get local issuer certificate (is --ca the CA that
// signed the server?)".
std::string describe_server_verify_error(long verify_result, const std::string& verify_name);

// For an X509_V_ERR_* seen by the server verifying a client certificate.
std::string describe_client_verify_error(long verify_result);

// For an alert the client received from the server (description byte of the alert).
std::string describe_alert_from_server(int description);

// "certificate required" style name of an alert description.
std::string alert_name(int description);

}  // namespace tcplab::tls
