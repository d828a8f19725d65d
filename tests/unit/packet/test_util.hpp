#pragma once
// Helpers shared by the packet unit tests: hex byte vectors, IP parameters, and the lines of
// tshark's (the oracle's) output. Pcap files, scratch dirs and commands: tests/support.
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "packet/builder.hpp"
#include "packet/ip_address.hpp"

namespace tcplab::packet::test {

// IP header parameters for a test packet between two address literals.
inline IpParams ip_params(const char* src, const char* dst, std::uint16_t identification = 0) {
    IpParams p;
    p.src = *IpAddress::parse(src);
    p.dst = *IpAddress::parse(dst);
    p.identification = identification;
    return p;
}

inline std::vector<std::uint8_t> concat(std::vector<std::uint8_t> head,
                                        const std::vector<std::uint8_t>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

// "4500 003c" (whitespace ignored) -> bytes. Throws on a malformed literal: a bad test vector.
inline std::vector<std::uint8_t> hex(std::initializer_list<std::string_view> parts) {
    std::string digits;
    for (auto part : parts)
        for (char c : part)
            if (c != ' ') digits.push_back(c);
    if (digits.size() % 2 != 0) throw std::invalid_argument("odd number of hex digits");
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < digits.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
    return out;
}

inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace tcplab::packet::test
