#pragma once
// The User-Mode Linux guest's PID 1: a /bin/sh script generated per run (see uml_vm.hpp). It is a
// pure function of a GuestPlan so its text can be unit-tested without booting anything.
//
// The guest's root is the host's `/` through hostfs, read-only. The script mounts what a Linux
// userland expects (proc, sysfs, devtmpfs, devpts, tmpfs on /tmp /run /var/tmp /root /dev/shm),
// mounts the per-run control directory read-write at kGuestControlDir, mounts each shared directory
// at its own path (read-write or read-only), points the kernel's module loader at UML's own
// modules, runs the command with stdout on the guest's /dev/tty1 and stderr on /dev/tty2 (host
// pipes), writes the exit status into the control directory and powers off. Every step that fails
// is reported into kSetupErrorFile so the host can name it.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tcplab::netem {

// Where the control directory appears inside the guest.
inline constexpr std::string_view kGuestControlDir = "/run/tcplab";
// Files the guest writes into the control directory (host reads them after poweroff).
inline constexpr std::string_view kStartedFile = "started";         // set-up done, command launched
inline constexpr std::string_view kStatusFile = "status";           // the command's exit status
inline constexpr std::string_view kSetupErrorFile = "setup-error";  // which set-up step failed
inline constexpr std::string_view kInitFile = "init";               // the script itself
inline constexpr std::string_view kModprobeFile = "modprobe";       // the kernel's module helper

struct GuestPlan {
    std::filesystem::path control_dir;  // host path of the per-run directory
    std::filesystem::path module_dir;   // host dir holding <kernel-version>/modules.dep
    std::vector<std::string> modules;   // loaded before the command (fail loudly if missing)
    std::vector<std::filesystem::path> rw_dirs;            // absolute, canonical, validated
    std::vector<std::filesystem::path> ro_dirs;            // the same, mounted read-only
    std::vector<std::string> command;                      // argv, non-empty
    std::vector<std::pair<std::string, std::string>> env;  // exported for the command
    std::filesystem::path working_dir;  // cd'd into when it exists in the guest, else /
};

// POSIX shell single-quoting: the result is one word that expands to exactly `word`.
std::string shell_quote(std::string_view word);

// The PID 1 script for `plan`.
std::string guest_init_script(const GuestPlan& plan);

// The script the guest kernel runs to load a module on demand (/proc/sys/kernel/modprobe):
// modprobe against UML's module tree, which is not at /lib/modules on the host.
std::string guest_modprobe_script();

}  // namespace tcplab::netem
