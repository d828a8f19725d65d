#pragma once
// Helpers for the User-Mode Linux tests: running the tcplab binary and checking for leftovers.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/scratch_dir.hpp"

namespace tcplab::vmtest {

struct ProcessRun {
    int exit_code = -1;  // 128+N when killed by signal N
    std::string out;
    std::string err;
    std::chrono::milliseconds elapsed{};
};

// Runs argv (argv[0] a path) with stdin from /dev/null, stdout/stderr captured into files.
ProcessRun run_process(const std::vector<std::string>& argv);

// Runs the tcplab binary under test with `args`.
ProcessRun run_tcplab(const std::vector<std::string>& args);

// Empty when UML can run here, else why not (the reason a test skips with).
std::string uml_unavailable_reason();

// A fresh directory under /tmp, removed with everything in it on destruction.
class ScratchDir : public test_support::ScratchDir {
public:
    ScratchDir() : test_support::ScratchDir("vmtest") {}
};

// PIDs of live processes whose environment holds TCPLAB_VM_ID=<vm_id> (UML and its helpers).
std::vector<int> processes_of_vm(const std::string& vm_id);

// Live processes whose executable is the UML kernel (any run, not only ours).
std::vector<int> uml_processes();

// The parent of `pid` (from /proc/<pid>/stat), -1 when it is gone.
int parent_pid(int pid);

// The directory holding this test binary (the build's tests/ directory).
std::filesystem::path test_binary_dir();

}  // namespace tcplab::vmtest
