#include "scenario/detail/tcp_sockets.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace tcplab::scenario {

namespace {

// A line: "sl local_address rem_address st tx_queue:rx_queue ...", numbers in hex.
void read_table(const char* path, std::vector<TcpSocket>& out) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues;
        if (!(fields >> slot >> local >> remote >> state >> queues)) {
            continue;
        }
        TcpSocket s;
        s.state = static_cast<int>(std::stoul(state, nullptr, 16));
        const auto colon = local.rfind(':');
        s.local_port =
            colon == std::string::npos
                ? 0
                : static_cast<std::uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16));
        s.unacked_bytes =
            static_cast<std::uint32_t>(std::stoul(queues.substr(0, queues.find(':')), nullptr, 16));
        out.push_back(s);
    }
}

constexpr int kSynSent = 2, kSynRecv = 3, kFinWait1 = 4, kLastAck = 9, kListen = 10, kClosing = 11,
              kEstablished = 1, kCloseWait = 8;

}  // namespace

std::vector<TcpSocket> tcp_sockets_here() {
    std::vector<TcpSocket> out;
    read_table("/proc/thread-self/net/tcp", out);
    read_table("/proc/thread-self/net/tcp6", out);
    return out;
}

bool tcp_listener_present(std::optional<std::uint16_t> port) {
    for (const auto& s : tcp_sockets_here()) {
        if (s.state == kListen && (!port || s.local_port == *port)) {
            return true;
        }
    }
    return false;
}

bool tcp_unsettled(const TcpSocket& s) {
    switch (s.state) {
        case kSynSent:
        case kSynRecv:
        case kFinWait1:
        case kLastAck:
        case kClosing:
            return true;
        case kEstablished:
        case kCloseWait:
            return s.unacked_bytes > 0;
        default:
            return false;
    }
}

}  // namespace tcplab::scenario
