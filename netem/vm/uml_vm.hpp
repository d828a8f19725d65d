#pragma once
// Running a command inside a User-Mode Linux guest: a real Linux kernel (Debian's
// user-mode-linux, with sch_netem, veth, ifb, nf_tables as modules — nf_tables for the bridge
// family only, see VmOptions::modules) that runs as an ordinary host process, so real
// `tc ... netem` works even when the host kernel lacks sch_netem.
//
// The guest sees the host's / read-only (hostfs), each VmOptions::rw_dirs entry read-write and each
// ro_dirs entry read-only at the same path, and fresh tmpfs on /tmp, /run, /var/tmp, /root. A
// command given by absolute path below one of those tmpfs is shared read-only by itself. It has no
// network device besides its own loopback and the veths/namespaces the command creates: nothing it
// sends can leave it.
//
// Lifetime guarantees: the UML kernel and every helper process it forks share one process group
// that is SIGKILLed on timeout and on every exit path; a separate watchdog process does the same
// and removes the per-run directory if the calling process dies (even by SIGKILL).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tcplab::netem {

struct VmOptions {
    std::vector<std::filesystem::path> rw_dirs;  // existing host dirs, writable in the guest
    // Existing host dirs shown read-only at the same path: for what lies below a guest tmpfs
    // (a checkout under /tmp or /root), which the read-only root alone cannot show.
    std::vector<std::filesystem::path> ro_dirs;
    std::chrono::seconds timeout{600};  // bound on boot + command + poweroff
    std::string memory = "512M";        // guest RAM (UML's mem=), e.g. 256M, 1G
    std::vector<std::string> command;   // argv run as root in the guest (PATH lookup)
    std::vector<std::pair<std::string, std::string>> env;  // extra environment for the command
    std::filesystem::path working_dir;  // empty: the caller's current directory (else /)
    // Loaded before the command, so a missing one fails the boot by name instead of the command
    // failing obscurely: sch_netem (the tc backend's qdisc), veth (the lab's links), ipv6 (the
    // net.ipv6.* sysctls the lab writes exist only once it is loaded; writing them loads nothing).
    // Everything else loads on demand through the guest's modprobe helper (modules.alias of the
    // UML tree): nf_tables, nfnetlink and the nft_* expressions do. But this kernel's nf_tables
    // is built with the bridge family only (CONFIG_NF_TABLES_INET/IPV4/IPV6 are off, and they
    // are not modules), so `inet`, `ip` and `ip6` tables are refused with EOPNOTSUPP whatever is
    // loaded. The tc backend's schedules and the generator's RST suppressor therefore fall back to
    // iptables-legacy here, whose x_tables, ip_tables, ip6_tables and xt_* modules (statistic,
    // u32, tcpudp, mark) also load on demand.
    std::vector<std::string> modules = {"sch_netem", "veth", "ipv6"};
    std::filesystem::path uml_binary = "/usr/bin/linux.uml";
    std::filesystem::path module_dir = "/usr/lib/uml/modules";
};

enum class VmStream { command_stdout, command_stderr, console };

// Receives output as it arrives: the command's stdout and stderr, and the guest console (kernel
// messages, UML's own start-up checks, set-up failures). Called on the calling thread.
using VmOutput = std::function<void(VmStream, std::string_view)>;

struct VmResult {
    int exit_code = -1;      // the command's exit status (sh: 128+N if killed by signal N)
    bool timed_out = false;  // the guest was killed at the deadline; exit_code is -1
    std::chrono::milliseconds elapsed{};  // UML start to UML exit
    std::string vm_id;   // TCPLAB_VM_ID in every UML process's environment (for leak checks)
    pid_t uml_pid = -1;  // the UML kernel process, also the id of its process group
};

// The checks run_in_vm does before booting. Throws UsageError for bad options (empty command,
// a shared dir missing / not a directory / containing ',' or a newline, bad memory size, env
// name, a relative command or a working directory the guest cannot see),
// EnvironmentError when UML or its module tree is not installed.
void validate_vm_options(const VmOptions& options);

// Boots UML, runs options.command, powers off. Returns the command's exit status, or timed_out.
// Throws the errors of validate_vm_options, EnvironmentError when the guest fails to boot or to
// set itself up (the message names the step and quotes the console), SystemError when a host
// system call fails.
VmResult run_in_vm(const VmOptions& options, const VmOutput& output);

// False when `path` (absolute) lies below a directory the guest replaces with a fresh tmpfs
// (/tmp, /var/tmp, /run, /root, /dev/shm) and not below one of `rw_dirs`: the guest cannot see it.
bool visible_in_guest(const std::filesystem::path& path,
                      const std::vector<std::filesystem::path>& rw_dirs);

// The directories to share so that each of `paths` (absolute; a file or a directory) is visible in
// the guest: for each path the guest cannot see through its root or `shared`, the path itself if it
// is a directory, else its parent. Sorted, without duplicates, and without a directory that lies
// within another of the result (the outer one shows it).
std::vector<std::filesystem::path> dirs_to_share(const std::vector<std::filesystem::path>& paths,
                                                 const std::vector<std::filesystem::path>& shared);

// argv that runs this very program (the host path of /proc/self/exe, which the guest sees through
// its read-only root) with `args` — e.g. for `scenario run ... --vm` re-running itself inside.
std::vector<std::string> self_command(const std::vector<std::string>& args);

// Environment variable set in every UML process (value: VmResult::vm_id).
inline constexpr std::string_view kVmIdVariable = "TCPLAB_VM_ID";

}  // namespace tcplab::netem
