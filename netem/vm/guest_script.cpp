#include "netem/vm/detail/guest_script.hpp"

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

namespace tcplab::netem {

namespace {

constexpr std::string_view kModuleRoot = "/run/tcplab-modroot";

std::string guest_file(std::string_view name) {
    return std::string(kGuestControlDir) + "/" + std::string(name);
}

// The fixed start of every init script: helpers and the mounts every run needs. `ctl_host` is the
// host path of the control directory (already shell-quoted).
void write_prologue(std::ostream& out, const std::string& ctl_host) {
    const std::string ctl = shell_quote(kGuestControlDir);
    out << "#!/bin/sh\n"
           "# PID 1 of a tcplab User-Mode Linux guest; generated per run by netem/uml_guest_script."
           "cpp.\n"
           "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
           "umask 022\n"
           // sysrq 'o' powers off at once without needing the host's init system; it is
           // asynchronous, so PID 1 must not exit meanwhile (that would panic the guest).
           "off() { sync; echo o > /proc/sysrq-trigger; sleep 60; }\n"
           "fail() {\n"
           "    echo \"tcplab-vm: guest set-up failed: $*\" >&2\n"
           "    [ -d "
        << ctl << "/. ] && echo \"$*\" > " << shell_quote(guest_file(kSetupErrorFile))
        << " 2>/dev/null\n"
           "    off\n"
           "}\n"
           "mount -t proc proc /proc || { echo 'tcplab-vm: cannot mount /proc' >&2; exit 1; }\n"
           "mount -t sysfs sysfs /sys || fail 'mount sysfs on /sys'\n"
           // The kernel may already have mounted devtmpfs (CONFIG_DEVTMPFS_MOUNT).
           "mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev || fail 'mount devtmpfs on "
           "/dev'\n"
           "mount -t tmpfs -o mode=0755 tmpfs /run || fail 'mount tmpfs on /run'\n"
           "mkdir -p "
        << ctl << " && mount -t hostfs none " << ctl << " -o " << ctl_host
        << " || fail 'mount the control directory'\n"
           "for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs \"$d\" || "
           "fail \"mount tmpfs on $d\"; done\n"
           "mount -t tmpfs -o mode=0700 tmpfs /root || fail 'mount tmpfs on /root'\n"
           "mkdir -p /dev/pts /dev/shm\n"
           "mount -t devpts devpts /dev/pts || fail 'mount devpts on /dev/pts'\n"
           "mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fail 'mount tmpfs on /dev/shm'\n";
}

}  // namespace

std::string shell_quote(std::string_view word) {
    std::string quoted = "'";
    for (const char c : word) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    quoted += "'";
    return quoted;
}

std::string guest_init_script(const GuestPlan& plan) {
    std::ostringstream out;
    write_prologue(out, shell_quote(plan.control_dir.string()));

    // Parents before children, so a nested shared directory is mounted on top of its parent's.
    std::vector<std::pair<std::filesystem::path, bool>> shares;  // directory, writable
    for (const auto& dir : plan.rw_dirs) shares.emplace_back(dir, true);
    for (const auto& dir : plan.ro_dirs) shares.emplace_back(dir, false);
    std::sort(shares.begin(), shares.end());
    for (const auto& [dir, writable] : shares) {
        const std::string q = shell_quote(dir.string());
        // mkdir: a directory below a guest tmpfs (/tmp, /root, ...) has to be created first.
        // "ro," is mount(8)'s flag (MS_RDONLY); hostfs takes the rest as its host path.
        out << "mkdir -p " << q << " && mount -t hostfs none " << q << " -o "
            << (writable ? q : shell_quote("ro," + dir.string())) << " || fail "
            << shell_quote("mount shared directory " + dir.string()) << "\n";
    }

    // UML's modules live in <module_dir>/<version>/, not /lib/modules/<version>/ (which does not
    // exist on the read-only host root): give modprobe a root dir whose lib/modules points there,
    // and route the kernel's on-demand loading (tc qdisc netem, ip link add type veth, nft) to it.
    const std::string modroot = shell_quote(kModuleRoot);
    out << "mkdir -p " << modroot << "/lib && ln -s " << shell_quote(plan.module_dir.string())
        << " " << modroot << "/lib/modules || fail 'link the UML module tree'\n"
        << "echo " << shell_quote(guest_file(kModprobeFile))
        << " > /proc/sys/kernel/modprobe || fail 'set /proc/sys/kernel/modprobe'\n";
    if (!plan.modules.empty()) {
        std::string names;
        out << "modprobe -d " << modroot << " -a";
        for (const auto& module : plan.modules) {
            out << " " << shell_quote(module);
            names += (names.empty() ? "" : " ") + module;
        }
        out << " || fail "
            << shell_quote("modprobe " + names + " (from " + plan.module_dir.string() + ")")
            << "\n";
    }
    out << "ip link set lo up 2>/dev/null\n";

    // tty1/tty2 are host pipes; -opost keeps "\n" from becoming "\r\n". stty's tcsetattr uses
    // TCSADRAIN, so the second round after the command waits until every byte reached the host.
    out << "stty -opost < /dev/tty1 && stty -opost < /dev/tty2 || fail 'set up /dev/tty1, "
           "/dev/tty2'\n"
        << ": > " << shell_quote(guest_file(kStartedFile))
        << " || fail 'write the started marker'\n";

    out << "(\n"
        << "    cd " << shell_quote(plan.working_dir.string()) << " 2>/dev/null || cd /\n"
        << "    export HOME=/root TERM=dumb TCPLAB_IN_VM=1\n";
    for (const auto& [name, value] : plan.env) {
        out << "    export " << name << "=" << shell_quote(value) << "\n";
    }
    out << "    exec";
    for (const auto& word : plan.command) {
        out << " " << shell_quote(word);
    }
    out << " < /dev/null > /dev/tty1 2> /dev/tty2\n"
        << ")\n"
        << "echo $? > " << shell_quote(guest_file(kStatusFile)) << "\n"
        << "stty -opost < /dev/tty1; stty -opost < /dev/tty2\n"
        << "off\n";
    return out.str();
}

std::string guest_modprobe_script() {
    return "#!/bin/sh\n"
           "# The guest kernel's module helper (/proc/sys/kernel/modprobe); generated by tcplab.\n"
           "exec /sbin/modprobe -d " +
           std::string(kModuleRoot) + " \"$@\"\n";
}

}  // namespace tcplab::netem
