#include "netem/impair/impaired_lab.hpp"

#include "base/errors.hpp"
#include "netem/impair/netem_support.hpp"

namespace tcplab::netem {

bool LabOptions::impaired() const {
    return !impairment.client_to_server.is_identity() || !impairment.server_to_client.is_identity();
}

void check_impairment(const LabOptions& options) {
    if (options.impaired()) {
        (void)TcBackend(1, options.impairment);  // its constructor refuses what tc cannot do
    }
}

LabDryRun dry_run(LabOptions options) {
    DryRunRunner runner;
    options.topology.runner = &runner;
    Topology topology = Topology::up(options.topology);
    topology.detach();  // nothing was created; do not record removal commands
    LabDryRun plan;
    if (options.impaired()) {
        TcBackend tc(topology.run_id(), options.impairment, {}, &runner);
        tc.apply();
        plan.notes = tc.notes();
    }
    plan.commands = runner.commands();
    return plan;
}

TcFeatures check_tc_here(const LabOptions& options) {
    if (!options.impaired()) {
        return {};
    }
    if (!options.topology.kernel_forwarding) {
        throw UsageError(
            "--no-forwarding cannot be combined with impairment flags (the tc "
            "backend impairs the kernel's forwarding path)");
    }
    const NetemSupport support = detect_netem();
    if (!support.available) {
        throw EnvironmentError(support.reason +
                               "; use `tcplab scenario run --backend userspace` "
                               "or `--vm` for real netem");
    }
    return support.features;
}

ImpairedLab::ImpairedLab(const LabOptions& options, const TcFeatures& features)
    : topology_(Topology::up(options.topology)) {
    if (options.impaired()) {
        tc_.emplace(topology_.run_id(), options.impairment, features);
        tc_->apply();
    }
}

const std::vector<std::string>& ImpairedLab::notes() const {
    static const std::vector<std::string> kNone;
    return tc_ ? tc_->notes() : kNone;
}

std::optional<TcRunStats> ImpairedLab::read_stats() const {
    if (!tc_) {
        return std::nullopt;
    }
    return tc_->read_stats();
}

}  // namespace tcplab::netem
