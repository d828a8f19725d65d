#include "vm_test_support.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/files.hpp"

namespace tcplab::vmtest {

namespace fs = std::filesystem;

namespace {}  // namespace

ProcessRun run_process(const std::vector<std::string>& argv) {
    const ScratchDir capture;
    const std::string out_path = (capture.path() / "out").string();
    const std::string err_path = (capture.path() / "err").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    std::vector<char*> args;
    for (const auto& word : argv) {
        args.push_back(const_cast<char*>(word.c_str()));
    }
    args.push_back(nullptr);
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv.at(0).c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::runtime_error("cannot spawn " + argv.at(0));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    ProcessRun run;
    run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = test_support::read_file(out_path);
    run.err = test_support::read_file(err_path);
    return run;
}

ProcessRun run_tcplab(const std::vector<std::string>& args) {
    std::vector<std::string> argv{TCPLAB_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
}

std::string uml_unavailable_reason() {
    if (::access("/usr/bin/linux.uml", X_OK) != 0) {
        return "User-Mode Linux (/usr/bin/linux.uml, Debian package user-mode-linux) is not "
               "installed";
    }
    if (!fs::is_directory("/usr/lib/uml/modules")) {
        return "UML kernel modules (/usr/lib/uml/modules) are not installed";
    }
    return {};
}

std::vector<int> processes_of_vm(const std::string& vm_id) {
    const std::string marker = "TCPLAB_VM_ID=" + vm_id;
    std::vector<int> pids;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const std::string environ_text = test_support::read_file(entry.path() / "environ");
        // Entries are NUL-separated; match a whole entry.
        std::size_t pos = 0;
        while (pos < environ_text.size()) {
            const std::size_t end = environ_text.find('\0', pos);
            const std::string entry_text =
                environ_text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
            if (entry_text == marker) {
                pids.push_back(std::stoi(name));
                break;
            }
            if (end == std::string::npos) {
                break;
            }
            pos = end + 1;
        }
    }
    return pids;
}

std::vector<int> uml_processes() {
    std::vector<int> pids;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::error_code ec;
        const fs::path exe = fs::read_symlink(entry.path() / "exe", ec);
        if (!ec && exe == "/usr/bin/linux.uml") {
            pids.push_back(std::stoi(name));
        }
    }
    return pids;
}

int parent_pid(int pid) {
    const std::string stat = test_support::read_file("/proc/" + std::to_string(pid) + "/stat");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last
    // ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
        return -1;
    }
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    int ppid = -1;
    rest >> state >> ppid;
    return ppid;
}

fs::path test_binary_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

}  // namespace tcplab::vmtest
