// The autonomic policies' part of the results (sim/hotswap/policy.h): the
// scenario echo of `policies:`, summary.json's `policies` (each policy, its
// monitor's cost, every decision with the values that triggered it and the
// swaps it started), decisions.csv (one row per decision) and
// policy_windows.csv (one row per policy and window: what the monitor read and
// decided). Written only by a scenario with policies.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hotswap/dynamic_update.h"
#include "hotswap/policy_spec.h"
#include "run/scenario_run.h"

namespace quiesce::run {

// A dynamic update as summary.json lists it (an update event's, or a policy decision's update).
nlohmann::ordered_json update_json(const hotswap::UpdateRecord& rec);
nlohmann::ordered_json policies_scenario_json(const std::vector<hotswap::PolicySpec>& policies);
nlohmann::ordered_json policies_json(const ScenarioRun& r);
std::string decisions_csv(const ScenarioRun& r);
std::string policy_windows_csv(const ScenarioRun& r);

}  // namespace quiesce::run
