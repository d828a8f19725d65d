#pragma once
// Two fresh namespaces joined by one veth, for tests that need exactly that (the generator in
// tl3NN-a, the kernel peer in tl3NN-b, one subnet, no router):
//   tl3NN-a: tl3NNga 198.18.NN.1/24 fd7c:3NN::1/64 --- tl3NN-b: tl3NNgb 198.18.NN.2/24
//   fd7c:3NN::2/64
// TSO/GSO/GRO and TX checksum offload are off, so one wire packet is one capture record with its
// real checksums. Removed on destruction, also when an assertion fails.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tcplab::test_support {

class NetnsPair {
public:
    NetnsPair();  // on failure error() says what went wrong
    ~NetnsPair();
    NetnsPair(const NetnsPair&) = delete;
    NetnsPair& operator=(const NetnsPair&) = delete;

    const std::string& error() const { return error_; }
    const std::string& a() const { return a_; }
    const std::string& b() const { return b_; }
    const std::string& if_b() const { return if_b_; }
    std::string v4(int host) const;  // 198.18.NN.<host>
    std::string v6(int host) const;  // fd7c:3NN::<host>

    // Drops every Nth packet to and from `port` (nftables, at each end's input). Deterministic on
    // purpose: a random 20% left all ~25 segments of a short exchange untouched 0.8^25 = 0.4% of
    // the time, and the test then saw no retransmission (it happened once under sanitize.sh).
    void drop_every(std::uint16_t port, int nth);

    // The receive counter of tl3NN-b's end of the veth.
    std::uint64_t rx_packets_b() const;

private:
    bool hold(const std::string& ns);

    int n_ = 0;
    std::string a_, b_, if_a_, if_b_, error_;
    std::vector<pid_t> holders_;
};

}  // namespace tcplab::test_support
