#include "netem/lab/lab_status.hpp"

namespace tcplab::netem {

namespace {

nlohmann::json run_json(const RunRecord& r) {
    nlohmann::json objects = nlohmann::json::array();
    for (const auto& o : r.objects) objects.push_back(describe(o));
    return {{"run_id", r.run_id}, {"state", to_string(run_status(r))},
            {"pid", r.pid},       {"created", r.created_utc},
            {"objects", objects}, {"error", r.parse_error}};
}

nlohmann::json runs_json(const std::vector<RunRecord>& runs) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs) out.push_back(run_json(r));
    return out;
}

}  // namespace

LabStatus lab_status(const StaleOptions& options) {
    LabStatus status;
    status.state_dir = options.state_dir;
    status.orphan_grace = options.orphan_grace;
    StalePlan plan = plan_stale(options);
    for (auto& r : plan.runs) {
        switch (run_status(r)) {
            case RunStatus::stale:
                status.stale.push_back(std::move(r));
                break;
            case RunStatus::unreadable:
                status.unreadable.push_back(std::move(r));
                break;
            default:
                status.live.push_back(std::move(r));
                break;
        }
    }
    status.orphans = std::move(plan.orphans);
    return status;
}

std::string describe(const RunObject& o) {
    return o.kind + " " + (o.netns.empty() ? o.name : o.netns + "/" + o.name);
}

std::vector<std::string> stale_removals(const RunRecord& record) {
    std::vector<std::string> out;
    for (auto it = record.objects.rbegin(); it != record.objects.rend(); ++it) {
        out.push_back(describe(*it));
    }
    return out;
}

nlohmann::json to_json(const LabStatus& status) {
    nlohmann::json stale = runs_json(status.stale);
    for (std::size_t i = 0; i < status.stale.size(); ++i) {
        stale[i]["down_stale_removes"] = stale_removals(status.stale[i]);
    }
    nlohmann::json orphans = nlohmann::json::array();
    for (const auto& o : status.orphans) {
        orphans.push_back({{"name", o.name},
                           {"run_id", o.run_id},
                           {"age_s", o.facts.age.count()},
                           {"used_by", o.facts.used_by},
                           {"down_stale_removes", o.action == OrphanAction::remove},
                           {"action", to_string(o.action)}});
    }
    return {{"state_dir", status.state_dir.string()},
            {"orphan_grace_s", status.orphan_grace.count()},
            {"live", runs_json(status.live)},
            {"stale", stale},
            {"unreadable", runs_json(status.unreadable)},
            {"orphans", orphans}};
}

}  // namespace tcplab::netem
