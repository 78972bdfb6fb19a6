#include "scenario/policies_section.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "hotswap/quiescence_strategy.h"

namespace quiesce::scenario {
namespace {

constexpr double kMaxUs = 1e9;

// calls_per_ms, latency_mean, latency_pNN (NN 1..99), misses_per_ms, queue_cycles_per_ms, held_calls_per_ms or
// held_cycles_mean.
void read_metric(MapReader& m, hotswap::PolicySpec& p) {
  const std::vector<std::string> known = {"calls_per_ms", "latency_mean", "latency_p50", "latency_p90", "latency_p99",
                                          "misses_per_ms", "queue_cycles_per_ms", "held_calls_per_ms",
                                          "held_cycles_mean"};
  if (!m.has("metric"))
    m.fail("missing key 'metric' (calls_per_ms, latency_mean, latency_pNN, misses_per_ms, queue_cycles_per_ms, "
           "held_calls_per_ms or held_cycles_mean)");
  p.metric_name = m.string("metric", "");
  if (p.metric_name == "calls_per_ms") {
    p.metric = hotswap::PolicyMetric::CallsPerMs;
    return;
  }
  if (p.metric_name == "latency_mean") {
    p.metric = hotswap::PolicyMetric::LatencyMean;
    return;
  }
  if (p.metric_name == "misses_per_ms" || p.metric_name == "queue_cycles_per_ms") {
    p.metric = p.metric_name == "misses_per_ms" ? hotswap::PolicyMetric::MissesPerMs
                                                : hotswap::PolicyMetric::QueueCyclesPerMs;
    return;
  }
  if (p.metric_name == "held_calls_per_ms" || p.metric_name == "held_cycles_mean") {
    p.metric = p.metric_name == "held_calls_per_ms" ? hotswap::PolicyMetric::HeldCallsPerMs
                                                    : hotswap::PolicyMetric::HeldCyclesMean;
    return;
  }
  const std::string prefix = "latency_p";
  unsigned nn = 0;
  if (p.metric_name.rfind(prefix, 0) == 0 && p.metric_name.size() > prefix.size() &&
      p.metric_name.size() <= prefix.size() + 2) {
    const char* first = p.metric_name.data() + prefix.size();
    const char* last = p.metric_name.data() + p.metric_name.size();
    const auto [end, ec] = std::from_chars(first, last, nn);
    if (ec == std::errc{} && end == last && *first != '0' && nn >= 1 && nn <= 99) {
      p.metric = hotswap::PolicyMetric::LatencyPercentile;
      p.percentile = nn;
      return;
    }
  }
  m.fail("metric", fmt::format("unknown metric '{}': expected calls_per_ms, latency_mean, latency_pNN with NN "
                               "1..99, misses_per_ms, queue_cycles_per_ms, held_calls_per_ms or held_cycles_mean{}",
                               shown(p.metric_name), hint(p.metric_name, known)));
}

void read_monitor(MapReader m, const std::vector<os::ObjectSpec>& objects, const Catalog& catalog, unsigned cpus,
                  const os::RunSpec& run, hotswap::PolicySpec& p) {
  if (!m.has("object")) m.fail("missing key 'object' (the object whose calls it watches)");
  p.object = m.string("object", "");
  if (m.has("method")) {
    p.method_name = m.string("method", "");
    p.method = static_cast<int>(catalog.check_target(m, p.object, p.method_name));
  } else if (std::none_of(objects.begin(), objects.end(), [&](const os::ObjectSpec& o) { return o.name == p.object; })) {
    m.fail("object", fmt::format("unknown object '{}'{}", shown(p.object), hint(p.object, names_of(objects))));
  }
  read_metric(m, p);
  p.window_us = m.positive("window_us", p.window_us, kMaxUs);
  if (p.window_us > run.duration_us)
    m.fail("window_us", fmt::format("a window of {} us is longer than the run (run.duration_us is {} us)", p.window_us,
                                    run.duration_us));
  p.start_us = m.real("start_us", p.start_us, 0, kMaxUs);
  if (p.start_us >= run.duration_us)
    m.fail("start_us", fmt::format("{} us is at or after the run ends (run.duration_us is {} us)", p.start_us,
                                   run.duration_us));
  const uint64_t cpu = m.uint<uint64_t>("cpu", 0, 0, std::numeric_limits<uint64_t>::max());
  if (cpu >= cpus)
    m.fail("cpu", fmt::format("CPU {} does not exist: machine.cpus is {} (CPUs 0-{})", cpu, cpus, cpus - 1));
  p.cpu = static_cast<unsigned>(cpu);
  p.eval_cycles = m.uint<uint32_t>("eval_cycles", p.eval_cycles, 0, 1'000'000);
  m.finish();
}

void read_when(MapReader m, hotswap::PolicySpec& p) {
  if (m.has("above") == m.has("below"))
    m.fail(m.has("above") ? "give above or below, not both" : "missing key 'above' or 'below' (the threshold)");
  p.above = m.has("above");
  const char* key = p.above ? "above" : "below";
  const double inf = std::numeric_limits<double>::infinity();
  p.threshold = m.real(key, 0, 0, 1e18);
  p.windows = m.uint<unsigned>("windows", 1, 1, 1000);
  p.rearm = m.real("rearm", p.threshold, 0, inf);
  if (p.above ? p.rearm > p.threshold : p.rearm < p.threshold)
    m.fail("rearm", fmt::format("the policy acts {} {} and is re-armed once the value is {} {}: rearm must be {} "
                                "the threshold (the hysteresis band)",
                                key, p.threshold, p.above ? "below" : "above", p.rearm, p.above ? "at or below"
                                                                                                  : "at or above"));
  p.min_interval_us = m.real("min_interval_us", p.min_interval_us, 0, kMaxUs);
  m.finish();
}

}  // namespace

void read_policies(MapReader policies, const std::vector<os::ImplementationSpec>& impls,
                   const std::vector<os::ObjectSpec>& objects, const Catalog& catalog, unsigned cpus,
                   const os::RunSpec& run, hotswap::HotSwapSpec& out, SwappedTo& swapped_to) {
  std::vector<MapReader> actions;
  const std::vector<std::string> strategies = hotswap::strategy_names();  // asked at run time: registrars ran
  for (const std::string& name : policies.keys()) {
    check_name(policies, name);
    MapReader m = policies.map(name);
    hotswap::PolicySpec p;
    p.name = name;
    for (const char* key : {"monitor", "when", "action"})
      if (!m.has(key)) m.fail(fmt::format("missing key '{}' (a policy has monitor, when and action)", key));
    read_monitor(m.map("monitor"), objects, catalog, cpus, run, p);
    read_when(m.map("when"), p);
    MapReader a = m.map("action");
    m.finish();
    p.update = a.has("update");
    if (p.update) {  // a dynamic update of a class (an update event's keys)
      for (const char* key : {"object", "to"})
        if (a.has(key)) a.fail_key(key, "an action swaps an object (object, to) or updates a class (update, "
                                        "to_version, mode), not both");
      p.update_class = required_string(a, "update");
      if (!a.has("to_version")) a.fail("missing key 'to_version' (the version the update brings the class to)");
      p.to_version = a.uint<uint32_t>("to_version", 1, 1, 1'000'000);
      p.lazy = a.choice("mode", "eager", {"eager", "lazy"}) == "lazy";
    } else {
      for (const char* key : {"to_version", "mode"})
        if (a.has(key)) a.fail_key(key, "only for an update action (update: CLASS)");
      p.target = a.string("object", p.object);
      p.to = required_string(a, "to");
    }
    p.strategy = a.string("strategy", strategies[0]);  // the first registered is the default
    if (std::find(strategies.begin(), strategies.end(), p.strategy) == strategies.end())
      a.fail("strategy", fmt::format("unknown strategy '{}'{}", shown(p.strategy), hint(p.strategy, strategies)));
    a.finish();
    out.policies.push_back(std::move(p));
    actions.push_back(std::move(a));
  }
  // Every policy's target may be the implementation another policy finds: each is checked against them all.
  // An update's target is the version's implementation, on every object that may have a version of its class.
  SwappedTo with_policies = swapped_to;
  const auto base = [](const std::string& target) { return target.substr(0, target.find('[')); };
  const std::vector<std::string> impl_names = names_of(impls);
  const auto impl_index = [&](const std::string& name) {
    return static_cast<size_t>(std::find(impl_names.begin(), impl_names.end(), name) - impl_names.begin());
  };
  const auto add = [](std::vector<size_t>& v, size_t x) {
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  };
  // The objects whose implementation may be of class `cls` (their own or one `given` gives them).
  const auto of_class = [&](const std::string& cls, const SwappedTo& given) {
    std::vector<std::string> out_objects;
    for (const auto& o : objects) {
      bool is = impls[impl_index(o.implementation)].class_name == cls;
      if (const auto it = given.find(o.name); it != given.end())
        for (const size_t i : it->second) is = is || impls[i].class_name == cls;
      if (is) out_objects.push_back(o.name);
    }
    return out_objects;
  };
  for (const hotswap::PolicySpec& p : out.policies)
    if (p.update) {
      for (const auto& impl : impls)
        if (impl.class_name == p.update_class && impl.version == p.to_version)
          for (const std::string& o : of_class(p.update_class, swapped_to)) add(with_policies[o], impl_index(impl.name));
    } else if (const size_t to = impl_index(p.to); to < impl_names.size()) {
      add(with_policies[base(p.target)], to);
    }
  for (size_t i = 0; i < out.policies.size(); ++i) {
    hotswap::PolicySpec& p = out.policies[i];
    if (p.update) {  // the checks an update event gets, from every implementation the class's objects may have
      p.to = impls[check_update_action(actions[i], "update", p.update_class, p.to_version, p.strategy, impls, objects,
                                       out, with_policies)].name;
      continue;
    }
    std::vector<std::string> used;  // the strategies the other policies swap the same object with
    for (size_t j = 0; j < out.policies.size(); ++j)
      if (j != i && !out.policies[j].update && base(out.policies[j].target) == base(p.target))
        used.push_back(out.policies[j].strategy);
    p.target = check_swap_action(actions[i], p.target, p.to, p.strategy, impls, objects, out, with_policies, used);
  }
  for (const hotswap::PolicySpec& p : out.policies)
    if (p.update) {
      for (const std::string& o : of_class(p.update_class, with_policies)) add(swapped_to[o], impl_index(p.to));
    } else {
      add(swapped_to[base(p.target)], impl_index(p.to));
    }
}

}  // namespace quiesce::scenario
