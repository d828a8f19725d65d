#pragma once
// A fresh private directory for one test (mkdtemp: unique, mode 0700), removed with everything in
// it on destruction, also when an ASSERT ends the test early. Shared by unit and integration tests.
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tcplab::test_support {

class ScratchDir {
public:
    // /tmp/tcplab-<name>-XXXXXX
    explicit ScratchDir(const std::string& name) {
        std::string pattern = "/tmp/tcplab-" + name + "-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
        }
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace tcplab::test_support
