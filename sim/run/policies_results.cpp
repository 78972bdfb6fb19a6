#include "run/policies_results.h"

#include <algorithm>

#include <fmt/format.h>

#include "hotswap/hotswap_manager.h"

namespace quiesce::run {

using json = nlohmann::ordered_json;

namespace {

std::string condition(const hotswap::PolicySpec& p) {
  return fmt::format("{} {} {} for {} window{}", p.metric_name, p.above ? ">" : "<", p.threshold, p.windows,
                     p.windows == 1 ? "" : "s");
}

// The swaps decision `d` started (their ids, in order).
std::vector<unsigned> swaps_of(const ScenarioRun& r, unsigned d) {
  std::vector<unsigned> out;
  for (const auto& s : r.hotswap().swaps())
    if (r.hotswap().event_of(s->id()) == hotswap::HotSwapManager::kPolicyEvent + d) out.push_back(s->id());
  return out;
}

double to_us(const ScenarioRun& r, uint64_t cycles) {
  return static_cast<double>(cycles) / (r.scenario().machine.clock_hz / 1e6);
}

// An update action's decision: the update it started, as summary.json's updates list an update event's.
json decision_update_json(const ScenarioRun& r, const hotswap::PolicyDecision& d) {
  if (d.update < 0) return json::object();
  return update_json(r.hotswap().policy_updates()[static_cast<size_t>(d.update)]->record());
}

}  // namespace

json policies_scenario_json(const std::vector<hotswap::PolicySpec>& policies) {
  json out = json::object();
  for (const auto& p : policies) {
    json monitor = {{"object", p.object}};
    if (p.method >= 0) monitor["method"] = p.method_name;
    monitor["metric"] = p.metric_name, monitor["window_us"] = p.window_us, monitor["start_us"] = p.start_us;
    monitor["cpu"] = p.cpu, monitor["eval_cycles"] = p.eval_cycles;
    out[p.name] = {{"monitor", monitor},
                   {"when",
                    {{p.above ? "above" : "below", p.threshold},
                     {"windows", p.windows},
                     {"rearm", p.rearm},
                     {"min_interval_us", p.min_interval_us}}},
                   {"action", p.update ? json{{"update", p.update_class},
                                              {"to_version", p.to_version},
                                              {"mode", p.lazy ? "lazy" : "eager"},
                                              {"to", p.to},
                                              {"strategy", p.strategy}}
                                        : json{{"object", p.target}, {"to", p.to}, {"strategy", p.strategy}}}};
  }
  return out;
}

json policies_json(const ScenarioRun& r) {
  json out = json::array();
  const hotswap::PolicyEngine* engine = r.hotswap().policies();
  if (!engine) return out;
  for (const auto& p : engine->policies()) {
    const auto& s = p->spec();
    uint64_t total = 0, max = 0;
    for (const auto& w : p->windows()) total += w.monitor_cycles, max = std::max(max, w.monitor_cycles);
    const auto n = p->windows().size();
    json decisions = json::array();
    for (const auto& d : p->decisions()) {
      decisions.push_back({{"decision", d.id},
                           {"window", d.window},
                           {"cycle", d.cycle},
                           {"us", to_us(r, d.cycle)},
                           {"value", d.value},
                           {"values", d.values},
                           {"from", d.from},
                           {"action", s.update ? "update" : "swap"},
                           {"to", s.to},
                           {"strategy", s.strategy},
                           {"swaps", swaps_of(r, d.id)},
                           {"completed", d.done},
                           {"end_cycle", d.done_cycle},
                           {"cycles", d.done ? d.done_cycle - d.cycle : 0}});
      if (s.update) decisions.back()["update"] = decision_update_json(r, d);
    }
    out.push_back({{"policy", s.name},
                   {"object", s.object},
                   {"method", s.method >= 0 ? s.method_name : std::string()},
                   {"metric", s.metric_name},
                   {"condition", condition(s)},
                   {"rearm", s.rearm},
                   {"window_us", s.window_us},
                   {"monitor",
                    {{"cpu", s.cpu},
                     {"counters", fmt::format("0x{:x}", p->counters())},
                     {"windows", n},
                     {"cycles", total},
                     {"cycles_per_window", n ? static_cast<double>(total) / static_cast<double>(n) : 0.0},
                     {"cycles_per_window_max", max}}},
                   {"decisions", decisions}});
  }
  return out;
}

std::string decisions_csv(const ScenarioRun& r) {
  std::string s = "decision,policy,window,cycle,us,metric,value,condition,values,object,from,to,strategy,swaps,"
                  "completed,end_cycle,action,class,to_version,mode\n";
  const hotswap::PolicyEngine* engine = r.hotswap().policies();
  if (!engine) return s;
  std::vector<std::pair<unsigned, std::string>> rows;  // by decision id: the order they were taken
  for (const auto& p : engine->policies()) {
    const auto& sp = p->spec();
    for (const auto& d : p->decisions())
      rows.emplace_back(d.id, fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", d.id, sp.name, d.window,
                                          d.cycle, to_us(r, d.cycle), sp.metric_name, d.value, condition(sp),
                                          fmt::join(d.values, ";"), sp.target, fmt::join(d.from, ";"), sp.to,
                                          sp.strategy, fmt::join(swaps_of(r, d.id), ";"), d.done, d.done_cycle,
                                          sp.update ? fmt::format("update,{},{},{}", sp.update_class, sp.to_version,
                                                                  sp.lazy ? "lazy" : "eager")
                                                    : std::string("swap,,,")));
  }
  std::sort(rows.begin(), rows.end());
  for (const auto& [id, row] : rows) s += row;
  return s;
}

std::string policy_windows_csv(const ScenarioRun& r) {
  std::string s = "policy,window,start_cycle,end_cycle,calls,value,streak,state,monitor_cycles\n";
  const hotswap::PolicyEngine* engine = r.hotswap().policies();
  if (!engine) return s;
  for (const auto& p : engine->policies())
    for (size_t i = 0; i < p->windows().size(); ++i) {
      const auto& w = p->windows()[i];
      s += fmt::format("{},{},{},{},{},{},{},{},{}\n", p->spec().name, i, w.start_cycle, w.end_cycle, w.calls,
                       w.has_value ? fmt::format("{}", w.value) : std::string(), w.streak, w.state, w.monitor_cycles);
    }
  return s;
}

json update_json(const hotswap::UpdateRecord& rec) {
  json u = {{"class", rec.class_name},
            {"from_version", rec.from_version},
            {"to_version", rec.to_version},
            {"mode", rec.lazy ? "lazy" : "eager"},
            {"completed", rec.completed},
            {"instances", rec.instances},
            {"swapped", rec.swapped},
            {"start_cycle", rec.start_cycle},
            {"factory_swapped_cycle", rec.factory_done_cycle},
            {"marked_cycle", rec.marked_cycle},
            {"end_cycle", rec.end_cycle},
            {"cycles", rec.completed ? rec.end_cycle - rec.start_cycle : 0}};
  if (rec.given_up) u["swaps_given_up"] = rec.given_up;  // why it did not complete
  if (rec.destroyed) u["destroyed"] = rec.destroyed;     // object lifetimes: not swapped, gone
  return u;
}

}  // namespace quiesce::run
