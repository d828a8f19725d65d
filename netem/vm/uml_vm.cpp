#include "netem/vm/uml_vm.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "base/errors.hpp"
#include "base/unique_fd.hpp"
#include "netem/vm/detail/guest_script.hpp"

namespace tcplab::netem {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

[[noreturn]] void throw_system(const std::string& what) {
    throw SystemError(what + ": " + errno_text(errno));
}

// A duplicate numbered >= 10, so the child's dup2 onto 0..4 can never clobber a source fd.
UniqueFd high_dup(const UniqueFd& fd) {
    const int dup = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10);
    if (dup < 0) {
        throw_system("fcntl(F_DUPFD_CLOEXEC)");
    }
    return UniqueFd(dup);
}

// The per-run control directory (init script, module helper, status files, UML's own files).
class TempDir {
public:
    TempDir() {
        std::string base = "/tmp";
        if (const char* env = std::getenv("TMPDIR"); env != nullptr && *env == '/') {
            const std::string candidate = env;
            // The path goes onto UML's kernel command line and into hostfs mount options.
            if (candidate.find_first_of(" \t\n,'\"") == std::string::npos) {
                base = candidate;
            }
        }
        std::string pattern = base + "/tcplab-vm-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw_system("cannot create a temporary directory in " + base);
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

void write_file(const fs::path& path, const std::string& text, fs::perms perms) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw SystemError("cannot write " + path.string());
    }
    fs::permissions(path, perms);
}

// The UML kernel process. Its process group holds UML's helpers too; destroying this kills the
// whole group and reaps the kernel process.
class UmlProcess {
public:
    explicit UmlProcess(pid_t pid) : pid_(pid) {}
    ~UmlProcess() { kill_and_reap(); }
    UmlProcess(const UmlProcess&) = delete;
    UmlProcess& operator=(const UmlProcess&) = delete;

    pid_t pid() const { return pid_; }
    bool exited() const { return reaped_; }
    int wait_status() const { return status_; }

    // Non-blocking: true once the kernel process has exited (and was reaped).
    bool poll_exit() {
        if (reaped_) {
            return true;
        }
        int status = 0;
        const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
        if (rc == pid_) {
            reaped_ = true;
            status_ = status;
        }
        return reaped_;
    }

    // UML leaves helper processes (I/O threads, SIGIO helpers) that outlive the kernel process
    // when it dies abnormally: the whole group goes, every time.
    void kill_and_reap() {
        ::kill(-pid_, SIGKILL);
        if (!reaped_) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            reaped_ = true;
            status_ = status;
        }
        // The helpers, now init's children, take a moment to die and be reaped: return only
        // when the group is gone (bounded), so "nothing left behind" holds on return.
        for (int i = 0; i < 300 && ::kill(-pid_, 0) == 0; ++i) {
            const struct timespec tick { 0, 10'000'000 };
            ::nanosleep(&tick, nullptr);
        }
    }

private:
    pid_t pid_;
    bool reaped_ = false;
    int status_ = 0;
};

// A process that outlives us if we die: when the pipe to it closes without the "done" byte, it
// SIGKILLs the UML process group and removes the control directory. Everything it does after
// fork() is async-signal-safe (the caller may be multi-threaded).
class Watchdog {
public:
    Watchdog(pid_t uml_pgid, const fs::path& control_dir) {
        Pipe alive = make_pipe();
        const std::string rm_target = control_dir.string();
        const char* const rm_argv[] = {"rm", "-rf", "--", rm_target.c_str(), nullptr};
        const char* const no_env[] = {nullptr};
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        pid_ = ::fork();
        if (pid_ < 0) {
            throw_system("cannot fork the UML watchdog");
        }
        if (pid_ == 0) {
            // Its own group, deaf to the terminal's ^C/hang-up, so it survives what kills us.
            ::setpgid(0, 0);
            ::sigaction(SIGINT, &ignore, nullptr);
            ::sigaction(SIGTERM, &ignore, nullptr);
            ::sigaction(SIGHUP, &ignore, nullptr);
            ::sigaction(SIGQUIT, &ignore, nullptr);
            // Hold nothing of the parent's open: a pipe write end kept here would delay EOF for
            // whoever reads the other side.
            ::dup2(alive.read.get(), 3);
            ::syscall(SYS_close_range, 4U, ~0U, 0U);
            const int null_fd = ::open("/dev/null", O_RDWR);
            if (null_fd >= 0) {
                ::dup2(null_fd, 0);
                ::dup2(null_fd, 1);
                ::dup2(null_fd, 2);
                if (null_fd > 3) {
                    ::close(null_fd);
                }
            }
            char byte = 0;
            ssize_t n = 0;
            do {
                n = ::read(3, &byte, 1);
            } while (n < 0 && errno == EINTR);
            if (n == 1) {
                ::_exit(0);  // the parent cleaned up itself
            }
            ::kill(-uml_pgid, SIGKILL);
            ::kill(uml_pgid, SIGKILL);
            const struct timespec settle { 0, 300'000'000 };
            ::nanosleep(&settle, nullptr);
            ::execve("/bin/rm", const_cast<char* const*>(rm_argv),
                     const_cast<char* const*>(no_env));
            ::_exit(1);
        }
        write_end_ = std::move(alive.write);
    }
    ~Watchdog() {
        const char done = 'd';
        [[maybe_unused]] const ssize_t n = ::write(write_end_.get(), &done, 1);
        write_end_.reset();
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    pid_t pid_ = -1;
    UniqueFd write_end_;
};

// UML backs guest RAM with a file in $TMPDIR (unlinked right after creation); tmpfs is fastest
// and avoids writing guest memory to disk. It must allow PROT_EXEC mappings.
fs::path memory_dir(const fs::path& fallback) {
    struct statvfs info {};
    if (::statvfs("/dev/shm", &info) == 0 && (info.f_flag & (ST_NOEXEC | ST_RDONLY)) == 0 &&
        ::access("/dev/shm", W_OK | X_OK) == 0) {
        return "/dev/shm";
    }
    return fallback;
}

// Keeps the last lines of the console for error messages.
class ConsoleTail {
public:
    void append(std::string_view chunk) {
        text_.append(chunk);
        if (text_.size() > kKeep * 2) {
            text_.erase(0, text_.size() - kKeep);
        }
    }
    std::string last_lines(std::size_t count) const {
        std::vector<std::string> lines;
        std::istringstream in(text_);
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            if (!line.empty()) {
                lines.push_back(line);
            }
        }
        std::string out;
        const std::size_t first = lines.size() > count ? lines.size() - count : 0;
        for (std::size_t i = first; i < lines.size(); ++i) {
            out += "\n    " + lines[i];
        }
        return out.empty() ? "\n    (the console printed nothing)" : out;
    }

private:
    static constexpr std::size_t kKeep = 16 * 1024;
    std::string text_;
};

std::optional<std::string> read_small_file(const fs::path& path) {
    std::ifstream in(path);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return std::string("was killed by signal ") + ::strsignal(WTERMSIG(status));
    }
    return "stopped";
}

// argv/envp as the char* arrays execve wants; built before fork().
struct ExecArgs {
    std::vector<std::string> storage;
    std::vector<char*> pointers;
    explicit ExecArgs(std::vector<std::string> words) : storage(std::move(words)) {
        for (auto& word : storage) {
            pointers.push_back(word.data());
        }
        pointers.push_back(nullptr);
    }
    char* const* get() const { return pointers.data(); }
};

// Messages say "shared directory", not a flag: `vm run` names them --rw, `scenario run --vm`
// chooses them itself.
fs::path resolve_dir(const fs::path& dir) {
    std::error_code ec;
    const fs::path canonical = fs::canonical(dir, ec);
    if (ec) {
        throw UsageError("shared directory " + dir.string() + ": " + ec.message());
    }
    return canonical;
}

std::vector<fs::path> resolve_dirs(const std::vector<fs::path>& dirs) {
    std::vector<fs::path> out;
    for (const auto& dir : dirs) {
        out.push_back(resolve_dir(dir));
    }
    return out;
}

bool is_within(const fs::path& path, const fs::path& dir) {
    const auto rel = path.lexically_relative(dir);
    return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

bool visible_in_guest(const fs::path& path, const std::vector<fs::path>& rw_dirs) {
    const fs::path normal = path.lexically_normal();
    for (const auto& dir : rw_dirs) {
        if (is_within(normal, dir.lexically_normal())) {
            return true;
        }
    }
    for (const char* shadowed : {"/tmp", "/var/tmp", "/run", "/root", "/dev/shm"}) {
        if (is_within(normal, shadowed)) {
            return false;
        }
    }
    return true;
}

std::vector<fs::path> dirs_to_share(const std::vector<fs::path>& paths,
                                    const std::vector<fs::path>& shared) {
    std::vector<fs::path> dirs;
    for (const auto& path : paths) {
        if (visible_in_guest(path, shared)) {
            continue;
        }
        std::error_code ec;
        const fs::path normal = path.lexically_normal();
        dirs.push_back(fs::is_directory(normal, ec) ? normal : normal.parent_path());
    }
    std::sort(dirs.begin(), dirs.end());
    dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
    std::vector<fs::path> outermost;
    for (const auto& dir : dirs) {  // sorted: a parent comes before everything within it
        if (outermost.empty() || !(dir == outermost.back() || is_within(dir, outermost.back()))) {
            outermost.push_back(dir);
        }
    }
    return outermost;
}

std::vector<std::string> self_command(const std::vector<std::string>& args) {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        throw SystemError("cannot read /proc/self/exe: " + ec.message());
    }
    std::vector<std::string> argv{self.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

void validate_vm_options(const VmOptions& options) {
    if (options.command.empty() || options.command.front().empty()) {
        throw UsageError("no command given to run in the guest (put it after --)");
    }
    if (options.timeout.count() <= 0) {
        throw UsageError("--timeout must be a positive number of seconds");
    }
    static const std::regex memory_re("[1-9][0-9]*[KMG]?");
    if (!std::regex_match(options.memory, memory_re)) {
        throw UsageError("--mem " + options.memory + ": expected a size like 256M or 1G");
    }
    static const std::regex env_re("[A-Za-z_][A-Za-z0-9_]*");
    for (const auto& [name, value] : options.env) {
        if (!std::regex_match(name, env_re)) {
            throw UsageError("--env " + name + ": not a valid environment variable name");
        }
    }
    std::vector<fs::path> all_dirs = options.rw_dirs;
    all_dirs.insert(all_dirs.end(), options.ro_dirs.begin(), options.ro_dirs.end());
    for (const auto& dir : all_dirs) {
        const fs::path resolved = resolve_dir(dir);
        std::error_code ec;
        if (!fs::is_directory(resolved, ec)) {
            throw UsageError("shared directory " + dir.string() + ": not a directory");
        }
        if (resolved == "/") {
            throw UsageError(
                "shared directory /: the guest's root is the host's already; name a "
                "directory below it");
        }
        // hostfs takes the host path as a comma-separated mount option.
        if (resolved.string().find_first_of(",\n") != std::string::npos) {
            throw UsageError("shared directory " + dir.string() +
                             ": a path with ',' or a newline cannot be mounted through hostfs");
        }
    }
    const fs::path program = options.command.front();
    if (program.is_absolute() && program.string().find_first_of(",\n") != std::string::npos &&
        !visible_in_guest(program, resolve_dirs(all_dirs))) {
        throw UsageError(program.string() +
                         " is below a directory the guest replaces with a fresh tmpfs, and its "
                         "path holds ',' or a newline, which hostfs cannot mount");
    }
    if (!options.working_dir.empty() &&
        !visible_in_guest(options.working_dir, resolve_dirs(all_dirs))) {
        throw UsageError("working directory " + options.working_dir.string() +
                         " is below a directory the guest replaces with a fresh tmpfs and is not "
                         "shared with the guest");
    }
    if (::access(options.uml_binary.c_str(), X_OK) != 0) {
        throw EnvironmentError("User-Mode Linux kernel not found at " +
                               options.uml_binary.string() + " (" + errno_text(errno) +
                               "): install Debian's user-mode-linux package (scripts/setup.sh "
                               "does)");
    }
    if (!options.modules.empty()) {
        std::error_code ec;
        if (!fs::is_directory(options.module_dir, ec)) {
            throw EnvironmentError("UML kernel modules not found at " +
                                   options.module_dir.string() +
                                   ": the user-mode-linux package installs them there");
        }
        if (::access("/sbin/modprobe", X_OK) != 0) {
            throw EnvironmentError("/sbin/modprobe not found: install kmod");
        }
    }
}

namespace {

// The guest's init script and module helper, written into the control directory.
void write_guest_files(const VmOptions& options, const fs::path& ctl) {
    GuestPlan plan;
    plan.control_dir = ctl;
    plan.module_dir = options.module_dir;
    plan.modules = options.modules;
    plan.rw_dirs = resolve_dirs(options.rw_dirs);
    plan.ro_dirs = resolve_dirs(options.ro_dirs);
    // A program below a guest tmpfs (a build under /tmp) is shared read-only by itself, so no
    // caller has to know about the guest's tmpfs.
    std::vector<fs::path> shared = plan.rw_dirs;
    shared.insert(shared.end(), plan.ro_dirs.begin(), plan.ro_dirs.end());
    if (const fs::path program = options.command.front(); program.is_absolute()) {
        for (const auto& dir : dirs_to_share({program}, shared)) {
            plan.ro_dirs.push_back(resolve_dir(dir));
        }
    }
    plan.command = options.command;
    plan.env = options.env;
    std::error_code ec;
    plan.working_dir = options.working_dir.empty() ? fs::current_path(ec) : options.working_dir;
    const auto exec_perms = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec;
    write_file(ctl / kInitFile, guest_init_script(plan), exec_perms);
    write_file(ctl / kModprobeFile, guest_modprobe_script(), exec_perms);
}

// The UML kernel's command line: the host's root read-only through hostfs, our init script.
ExecArgs uml_command_line(const VmOptions& options, const fs::path& ctl, const fs::path& uml_dir) {
    return ExecArgs({
        // pty.legacy_count=0: the guest needs no BSD ptys, and creating Debian's 256 of them
        // took 2.5 s of a ~7 s boot (initcall_debug: pty_init).
        options.uml_binary.string(),
        "mem=" + options.memory,
        "quiet",
        "pty.legacy_count=0",
        "uml_dir=" + uml_dir.string(),
        "umid=tcplab",
        "root=/dev/root",
        "rootfstype=hostfs",
        "rootflags=/",
        "ro",
        "init=" + (ctl / kInitFile).string(),
        // Every console and serial line to null except our three pipes; no host tty is ever
        // handed to UML (its SIGWINCH helper would setsid() out of our process group).
        "con=null",
        "ssl=null",
        "con0=null,fd:1",
        "con1=null,fd:3",
        "con2=null,fd:4",
    });
}

ExecArgs uml_environment(const fs::path& ctl, const fs::path& uml_dir, const std::string& vm_id) {
    return ExecArgs({
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "TMPDIR=" + memory_dir(uml_dir).string(),
        "HOME=" + ctl.string(),  // UML falls back to ~/.uml for its run files
        std::string(kVmIdVariable) + "=" + vm_id,
    });
}

// The three pipes UML writes to: its console (fd 1 and 2), the command's stdout (fd 3) and
// stderr (fd 4). After spawn_uml() only UML holds their write ends.
struct UmlPipes {
    Pipe console = make_pipe();
    Pipe out = make_pipe();
    Pipe err = make_pipe();
};

// Forks and execs the UML kernel in its own process group, stdin from /dev/null. Returns its pid.
pid_t spawn_uml(const ExecArgs& argv, const ExecArgs& env, UmlPipes& pipes) {
    const UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_fd.valid()) {
        throw_system("cannot open /dev/null");
    }
    UniqueFd console_w = high_dup(pipes.console.write);
    UniqueFd out_w = high_dup(pipes.out.write);
    UniqueFd err_w = high_dup(pipes.err.write);
    UniqueFd null_r = high_dup(null_fd);
    pipes.console.write.reset();
    pipes.out.write.reset();
    pipes.err.write.reset();

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw_system("cannot fork for User-Mode Linux");
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // second line of defence after the watchdog
        if (::getppid() != parent) {
            ::_exit(127);
        }
        ::dup2(null_r.get(), 0);
        ::dup2(console_w.get(), 1);
        ::dup2(console_w.get(), 2);
        ::dup2(out_w.get(), 3);
        ::dup2(err_w.get(), 4);
        ::execve(argv.storage[0].c_str(), argv.get(), env.get());
        static constexpr char kMsg[] = "tcplab vm: cannot execute the UML kernel\n";
        [[maybe_unused]] const ssize_t n = ::write(2, kMsg, sizeof kMsg - 1);
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // both sides set it: no window where kill(-pid) misses
    // Only UML may hold the write ends now (the duplicates close on return): a copy kept here
    // would withhold EOF, and the drain after UML's exit would always wait out its 2 s bound.
    return pid;
}

// Forwards what UML writes on the three pipes to `output`, keeping the console's tail.
class UmlOutputPump {
public:
    UmlOutputPump(UmlPipes& pipes, const VmOutput& output)
        : sources_{{{&pipes.console.read, VmStream::console},
                    {&pipes.out.read, VmStream::command_stdout},
                    {&pipes.err.read, VmStream::command_stderr}}},
          output_(output) {}

    // Reads what is available; returns false once every pipe is at EOF.
    bool pump(int timeout_ms) {
        std::array<pollfd, 3> pfds{};
        std::size_t open_count = 0;
        for (std::size_t i = 0; i < sources_.size(); ++i) {
            pfds[i] = pollfd{sources_[i].fd->get(), POLLIN, 0};
            open_count += sources_[i].fd->valid() ? 1 : 0;
        }
        if (open_count == 0) {
            return false;
        }
        const int ready = ::poll(pfds.data(), pfds.size(), timeout_ms);
        if (ready < 0 && errno != EINTR) {
            throw_system("poll on the UML console pipes");
        }
        for (std::size_t i = 0; ready > 0 && i < sources_.size(); ++i) {
            if ((pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                read_one(sources_[i]);
            }
        }
        return true;
    }

    const ConsoleTail& console_tail() const { return console_tail_; }

private:
    struct Source {
        UniqueFd* fd;
        VmStream stream;
    };

    void read_one(Source& source) {
        const ssize_t n = ::read(source.fd->get(), buffer_.data(), buffer_.size());
        if (n > 0) {
            const std::string_view chunk(buffer_.data(), static_cast<std::size_t>(n));
            if (source.stream == VmStream::console) {
                console_tail_.append(chunk);
            }
            if (output_) {
                output_(source.stream, chunk);
            }
        } else if (n == 0 || errno != EINTR) {
            source.fd->reset();
        }
    }

    std::array<Source, 3> sources_;
    const VmOutput& output_;
    ConsoleTail console_tail_;
    std::array<char, 65536> buffer_{};
};

// Pumps output until the kernel process exits or the deadline passes; true on timeout.
bool wait_for_uml(UmlProcess& uml, UmlOutputPump& pump, Clock::time_point deadline) {
    while (!uml.poll_exit()) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return true;
        }
        // Short poll slices: the kernel process's exit is noticed within 50 ms.
        pump.pump(static_cast<int>(std::min<long long>(left.count(), 50)));
    }
    return false;
}

// The command's exit code from the status file the guest wrote; a guest that failed to set up,
// to boot or to finish is an EnvironmentError quoting the last console lines.
int guest_exit_code(const fs::path& ctl, const UmlProcess& uml, const ConsoleTail& console) {
    const std::string console_lines = console.last_lines(20);
    if (const auto setup_error = read_small_file(ctl / kSetupErrorFile)) {
        std::string step = *setup_error;
        while (!step.empty() && (step.back() == '\n' || step.back() == '\r')) {
            step.pop_back();
        }
        throw EnvironmentError("UML guest set-up failed: " + step +
                               "; last console lines:" + console_lines);
    }
    const auto status = read_small_file(ctl / kStatusFile);
    if (!status) {
        std::error_code ec;
        const bool started_cmd = fs::exists(ctl / kStartedFile, ec);
        throw EnvironmentError(std::string(started_cmd
                                               ? "UML guest went down before the command finished"
                                               : "UML guest failed to boot") +
                               " (the UML process " + describe_wait_status(uml.wait_status()) +
                               "); last console lines:" + console_lines);
    }
    try {
        return std::stoi(*status);
    } catch (const std::exception&) {
        throw SystemError("UML guest wrote an unreadable exit status '" + *status + "'");
    }
}

}  // namespace

VmResult run_in_vm(const VmOptions& options, const VmOutput& output) {
    validate_vm_options(options);

    TempDir control;
    const fs::path& ctl = control.path();
    const fs::path uml_dir = ctl / "uml";
    fs::create_directory(uml_dir);
    write_guest_files(options, ctl);

    VmResult result;
    result.vm_id = ctl.filename().string();
    const ExecArgs uml_argv = uml_command_line(options, ctl, uml_dir);
    const ExecArgs uml_env = uml_environment(ctl, uml_dir, result.vm_id);

    UmlPipes pipes;
    const auto started = Clock::now();
    const pid_t pid = spawn_uml(uml_argv, uml_env, pipes);
    result.uml_pid = pid;
    UmlProcess uml(pid);
    std::optional<Watchdog> watchdog;
    watchdog.emplace(pid, ctl);

    UmlOutputPump pump(pipes, output);
    result.timed_out = wait_for_uml(uml, pump, started + options.timeout);
    uml.kill_and_reap();  // helpers may hold the pipes open after the kernel exited
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    // Drain what the guest wrote before it went down; bounded, in case something odd still
    // holds a write end.
    const auto drain_until = Clock::now() + std::chrono::seconds(2);
    while (Clock::now() < drain_until && pump.pump(100)) {
    }
    watchdog.reset();

    if (!result.timed_out) {
        result.exit_code = guest_exit_code(ctl, uml, pump.console_tail());
    }
    return result;
}

}  // namespace tcplab::netem
