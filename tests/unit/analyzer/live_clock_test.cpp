// A live capture's clock runs on while no packet comes: Engine::advance_clock finalises a closed
// stream exactly when a frame at that time would (120 s after its last packet, FIN/RST seen) and
// not before, so its report comes out while the link is quiet, and an open stream stays.
#include <gtest/gtest.h>

#include "tests/unit/analyzer/analyzer_test_util.hpp"

namespace tcplab::analyzer::test {
namespace {

constexpr Nanos kSecond = 1'000'000'000;

struct Fed {
    RowSink sink;
    Engine engine{packet::LinkType::raw, true, sink};
    Nanos last = 0;
    explicit Fed(const Script& script) {
        std::uint64_t n = 0;
        for (const auto& f : script.frames()) {
            engine.process({++n, f.time_ns, f.bytes});
            last = f.time_ns;
        }
    }
};

TEST(LiveClock, AClosedStreamIsFinalisedOnce120SecondsPassWithoutAPacket) {
    Script closed;
    closed.handshake().a(2, kFinAck, 1, 1).b(3, kFinAck, 1, 2).a(4, kAck, 2, 2);
    Fed fed(closed);
    fed.engine.advance_clock(fed.last + 119 * kSecond);
    EXPECT_EQ(fed.sink.finished, 0) << "finalised before its idle limit";
    EXPECT_EQ(fed.engine.open_streams(), 1u);
    fed.engine.advance_clock(fed.last + 121 * kSecond);
    EXPECT_EQ(fed.sink.finished, 1) << "not finalised while the clock passed its idle limit";
    EXPECT_EQ(fed.engine.open_streams(), 0u);
    fed.engine.finish();
    EXPECT_EQ(fed.sink.finished, 1) << "finalised twice";
}

TEST(LiveClock, AnOpenStreamWaitsForTheLongLimit) {
    Script open;
    open.handshake().a(2, kPshAck, 1, 1, 100);
    Fed fed(open);
    fed.engine.advance_clock(fed.last + 3600 * kSecond);
    EXPECT_EQ(fed.sink.finished, 0);
    fed.engine.advance_clock(fed.last + 3 * 3600 * kSecond + kSecond);
    EXPECT_EQ(fed.sink.finished, 1);
}

}  // namespace
}  // namespace tcplab::analyzer::test
