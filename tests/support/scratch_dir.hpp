#pragma once
// A fresh private directory for one test (mkdtemp: unique, mode 0700), removed with everything in
// it on destruction, also when an ASSERT ends the test early.
#include <filesystem>
#include <string>

namespace tcplab::test_support {

class ScratchDir {
public:
    // /tmp/tcplab-<name>-XXXXXX
    explicit ScratchDir(const std::string& name);
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Leaves the directory behind (a failed test's captures, for a human to read).
    void keep() { keep_ = true; }

private:
    std::filesystem::path path_;
    bool keep_ = false;
};

}  // namespace tcplab::test_support
