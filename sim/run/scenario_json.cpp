// The resolved scenario echoed into summary.json: what the run actually used.
#include <algorithm>
#include <cmath>

#include "run/policies_results.h"
#include "run/results_writer.h"

namespace quiesce::run {

namespace {
using json = nlohmann::ordered_json;

json number_or_inf(double v) { return std::isfinite(v) ? json(v) : json(".inf"); }

json mix_json(const os::InstructionMix& m) {
  return {{"alu", m.alu}, {"mul", m.mul}, {"div", m.div}, {"load", m.load}, {"store", m.store}, {"branch", m.branch}};
}

json method_json(const os::MethodSpec& m) {
  if (!m.symbol.empty()) return {{"symbol", m.symbol}, {"counts_calls", m.counts_calls}};
  json calls = json::array();
  for (const auto& c : m.calls) calls.push_back({{"object", c.object}, {"method", c.method}, {"count", c.count}});
  return {{"instructions", m.instructions},
          {"mix", mix_json(m.mix)},
          {"state_reads", m.state_reads},
          {"state_writes", m.state_writes},
          {"state_atomics", m.state_atomics},
          {"shared_reads", m.shared_reads},
          {"shared_writes", m.shared_writes},
          {"shared_atomics", m.shared_atomics},
          {"calls", calls},
          {"io", {{"probability", m.io.probability}, {"mean_us", m.io.mean_us},
                  {"distribution", m.io.exponential ? "exponential" : "fixed"}}}};
}

const char* kind_name(os::WorkloadKind k) {
  switch (k) {
    case os::WorkloadKind::Closed: return "closed";
    case os::WorkloadKind::Open: return "open";
    case os::WorkloadKind::LongLived: return "long_lived";
  }
  return "?";
}
}  // namespace

json scenario_json(const scenario::Scenario& s) {
  const auto& m = s.machine;
  const auto& h = m.hierarchy;
  json j;
  j["name"] = s.name;
  j["machine"] = {{"cpus", m.cpus},
                  {"clock_ghz", m.clock_hz / 1e9},
                  {"quantum_cycles", m.quantum_cycles},
                  {"lookahead", m.lookahead},
                  {"memory_mib", m.memory_bytes >> 20},
                  {"line_bytes", h.line_bytes},
                  {"l1d", {{"size_kib", h.l1d.size_bytes >> 10}, {"ways", h.l1d.ways}, {"latency", h.l1d.latency}}},
                  {"l2", {{"size_kib", h.l2.size_bytes >> 10}, {"ways", h.l2.ways}, {"latency", h.l2.latency},
                          {"shared", h.l2_shared}}},
                  {"c2c_latency", h.c2c_latency},
                  {"sync_on_coherence", h.sync_on_coherence}};
  const auto& o = s.os;
  j["os"] = {{"schedule_cycles", o.schedule_cycles},
             {"descriptor_bytes", o.descriptor_bytes},
             {"stack_kib", o.stack_kib},
             {"max_threads_per_cpu", o.max_threads_per_cpu},
             {"miss_handler_cycles", o.miss_handler_cycles},
             {"io_check_cycles", o.io_check_cycles},
             {"create_cycles", o.create_cycles},
             {"destroy_cycles", o.destroy_cycles},
             {"guest_elf", o.guest_elf},
             {"generations", {{"token", o.generations.token}, {"min_round_us", o.generations.min_round_us},
                              {"swap_cycles", o.generations.swap_cycles},
                              {"token_pass_cycles", o.generations.token_pass_cycles}}},
             {"scheduler",
              {{"policy", o.scheduler.policy == os::SchedulerPolicy::Preemptive ? "preemptive" : "run_to_completion"},
               {"tick_us", o.scheduler.tick_us},
               {"system_priority", o.scheduler.system_priority}}}};
  json impls = json::object();
  for (const auto& i : s.implementations) {
    json methods = json::object();
    for (const auto& me : i.methods) methods[me.name] = method_json(me);
    impls[i.name] = {{"class", i.class_name.empty() ? i.name : i.class_name},
                     {"version", i.version},
                     {"root", i.root == os::RootKind::Shared ? "shared" : "per_cpu"},
                     {"state_bytes", i.state_bytes},
                     {"shared_state_bytes", i.shared_state_bytes},
                     {"methods", methods}};
  }
  j["implementations"] = impls;
  json objects = json::object();
  for (const auto& ob : s.objects) {
    objects[ob.name] = {{"implementation", ob.implementation}, {"count", ob.initial ? ob.initial : ob.count}};
    if (ob.initial) objects[ob.name]["capacity"] = ob.count;  // object lifetimes: the slots, `count` live at the start
    if (ob.initial) objects[ob.name]["reclaim"] = ob.grace_period ? "grace_period" : "generations";
  }
  j["objects"] = objects;
  json workloads = json::object();
  for (const auto& w : s.workloads) {
    json mix = json::array();
    for (const auto& e : w.mix) mix.push_back({{"object", e.object}, {"method", e.method}, {"weight", e.weight}});
    workloads[w.name] = {{"kind", kind_name(w.kind)},
                         {"cpus", w.cpus},
                         {"threads", w.threads},
                         {"think_us", w.think_us},
                         {"think", w.think_exponential ? "exponential" : "fixed"},
                         {"rate_per_ms", w.rate_per_ms},
                         {"calls_per_request", w.calls_per_request},
                         {"mix", mix},
                         {"popularity", w.popularity == os::Popularity::Zipf ? "zipf" : "uniform"},
                         {"zipf_s", w.zipf_s},
                         {"start_us", w.start_us},
                         {"stop_us", number_or_inf(w.stop_us)},
                         {"declares_quiescence", w.declares_quiescence},
                         {"priority", w.priority}};
  }
  j["workloads"] = workloads;
  if (!s.devices.empty()) {  // (absent when there are none: earlier results stay as they were)
    json devices = json::object();
    for (const auto& d : s.devices) {
      json calls = json::array();
      for (const auto& e : d.calls) calls.push_back({{"object", e.object}, {"method", e.method}});
      devices[d.name] = {{"cpus", d.cpus},
                         {"routing", d.routing == os::DeviceRouting::PerCpu ? "per_cpu" : "round_robin"},
                         {"arrival", d.arrival == os::DeviceArrival::Poisson ? "poisson" : "periodic"},
                         {"rate_per_ms", d.rate_per_ms},
                         {"calls", calls},
                         {"start_us", d.start_us},
                         {"stop_us", number_or_inf(d.stop_us)}};
    }
    j["devices"] = devices;
  }
  json events = json::array();
  auto when = [](json& e, double at_us, uint64_t after_calls, unsigned cpu) {  // as written: one of the two
    if (after_calls) e["after_calls"] = after_calls;
    else e["at_us"] = at_us;
    e["cpu"] = cpu;
  };
  for (const auto& e : s.hotswap.swaps) {
    json x = {{"type", "swap"}, {"object", e.object}, {"to", e.to}, {"strategy", e.strategy}};
    when(x, e.at_us, e.after_calls, e.cpu);
    if (e.patch >= 0) x["patch"] = e.patch;  // a part of patches[i]: its time is the patch's
    events.push_back(std::move(x));
  }
  for (const auto& u : s.hotswap.updates) {
    json x = {{"type", "update"}, {"class", u.class_name}, {"to_version", u.to_version},
              {"mode", u.lazy ? "lazy" : "eager"}, {"strategy", u.strategy}};
    when(x, u.at_us, u.after_calls, u.cpu);
    if (u.patch >= 0) x["patch"] = u.patch;
    events.push_back(std::move(x));
  }
  j["events"] = events;  // swaps first, then updates
  json patches = json::array();
  for (const auto& p : s.hotswap.patches) {
    json x = {{"give_up_us", p.give_up_us}};
    when(x, p.at_us, p.after_calls, p.cpu);
    patches.push_back(std::move(x));
  }
  j["patches"] = patches;  // their parts are the events that name them
  json strategies = json::object();
  for (const auto& [name, values] : s.hotswap.params) {
    json block = json::object();
    const auto* entry = hotswap::find_strategy(name);
    for (const auto& kv : values.values()) {  // (not a structured binding: clang 14 cannot capture one)
      const std::string& key = kv.first;
      const bool integer = entry && std::any_of(entry->info.params.begin(), entry->info.params.end(),
                                                [&](const hotswap::StrategyParam& p) { return p.key == key && p.integer; });
      if (integer) block[key] = static_cast<uint64_t>(kv.second);
      else block[key] = kv.second;
    }
    strategies[name] = block;
  }
  j["hotswap"] = {{"timeout_us", s.hotswap.timeout_us},
                  {"update_step_cycles", s.hotswap.update_step_cycles},
                  {"reclaim", s.hotswap.reclaim},
                  {"strategies", strategies}};
  if (!s.hotswap.policies.empty()) j["policies"] = policies_scenario_json(s.hotswap.policies);
  j["run"] = {{"duration_us", s.run.duration_us}, {"warmup_us", s.run.warmup_us}, {"seed", s.run.seed}};
  j["outputs"] = {{"dir", s.outputs.dir}, {"window_us", s.outputs.window_us}};
  return j;
}

}  // namespace quiesce::run
