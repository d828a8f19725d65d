#pragma once
// Integration tests that create namespaces need root; without it they skip with the reason.
#include <unistd.h>

namespace tcplab::test_support {

inline bool is_root() { return ::geteuid() == 0; }

}  // namespace tcplab::test_support

#define TCPLAB_REQUIRE_ROOT()                                                               \
    do {                                                                                    \
        if (!::tcplab::test_support::is_root()) {                                           \
            GTEST_SKIP() << "needs root (creates network namespaces); run as root to test"; \
        }                                                                                   \
    } while (0)
