// Which TCP states still owe the wire a packet: the captures wait for those before they stop.
#include "scenario/detail/tcp_sockets.hpp"

#include <gtest/gtest.h>

namespace tcplab::scenario {
namespace {

TcpSocket socket_in(int state, std::uint32_t unacked = 0) {
    TcpSocket s;
    s.state = state;
    s.unacked_bytes = unacked;
    return s;
}

TEST(TcpSockets, AHandshakeOrAFinNotYetAcknowledgedIsUnsettled) {
    for (const int state : {2, 3, 4, 9, 11}) {  // SYN_SENT SYN_RECV FIN_WAIT1 LAST_ACK CLOSING
        EXPECT_TRUE(tcp_unsettled(socket_in(state))) << state;
    }
    for (const int state : {5, 6, 7, 10}) {  // FIN_WAIT2 TIME_WAIT CLOSE LISTEN
        EXPECT_FALSE(tcp_unsettled(socket_in(state))) << state;
    }
}

TEST(TcpSockets, AnOpenConnectionIsUnsettledOnlyWithUnacknowledgedData) {
    EXPECT_FALSE(tcp_unsettled(socket_in(1)));
    EXPECT_TRUE(tcp_unsettled(socket_in(1, 1448)));
    EXPECT_TRUE(tcp_unsettled(socket_in(8, 10)));  // CLOSE_WAIT
}

}  // namespace
}  // namespace tcplab::scenario
