#include "tests/support/scratch_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace tcplab::test_support {

ScratchDir::ScratchDir(const std::string& name) {
    std::string pattern = "/tmp/tcplab-" + name + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
}

ScratchDir::~ScratchDir() {
    if (!keep_) {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
}

}  // namespace tcplab::test_support
