#pragma once
// A private scratch directory for the fuzz targets whose product entry point takes a path (the
// analyzer's capture reader, the scenario loader) or key files (the TLS context). mkdtemp gives
// mode 0700; it lives in /dev/shm (memory, fast) and is removed when the process exits.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace tcplab::fuzz {

class ScratchDir {
public:
    ScratchDir() {
        std::string pattern = "/dev/shm/tcplab-fuzz-XXXXXX";
        if (!std::filesystem::is_directory("/dev/shm")) pattern = "/tmp/tcplab-fuzz-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::perror("mkdtemp");
            std::abort();
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

    // Replaces `name` with exactly these bytes; returns its path.
    std::string write(const std::string& name, const void* data, std::size_t size) const {
        const std::string file = (path_ / name).string();
        std::FILE* f = std::fopen(file.c_str(), "wb");
        if (f == nullptr || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
            std::perror(file.c_str());
            std::abort();
        }
        return file;
    }

private:
    std::filesystem::path path_;
};

}  // namespace tcplab::fuzz
