// What a scenario's `policies:` section asks, as plain data: autonomic swaps
// (the patent's title, issue 24). A policy watches one monitor over a window
// (a metric of one object's calls, counted per CPU by the kernel in guest
// memory and read by a system thread through its caches), tests a condition
// with hysteresis, and acts: it swaps an object (or a group) to a named
// implementation with a strategy, or updates a class to a version. Checked by the scenario reader
// (sim/scenario/policies_section.cpp); nothing here knows YAML. Times in µs.
#pragma once
#include <cstdint>
#include <string>

namespace quiesce::hotswap {

enum class PolicyMetric : uint8_t {
  CallsPerMs,         // the object's top-level calls completed per ms of the window
  LatencyMean,        // their mean latency, cycles
  LatencyPercentile,  // a percentile of their latency, cycles (from log2 buckets, interpolated within one)
  MissesPerMs,        // coherence misses on the object's regions (reps, shared state) per ms, all CPUs
  QueueCyclesPerMs,   // cycles those accesses queued (interconnect, directory, banks) per ms, all CPUs
  HeldCallsPerMs,     // the object's top-level calls completed per ms that a hot swap of it had held (any strategy)
  HeldCyclesMean,     // their mean cycles held (summed over the swaps that held each), cycles
};

struct PolicySpec {
  std::string name;
  // The monitor: `metric` over the calls to object `object` (a group's every instance), method `method`
  // (its vtable slot; -1: every method), each window of `window_us`, read by a system thread on `cpu`
  // from `start_us` on. Its work beyond the loads: `eval_cycles` per window (assumed).
  PolicyMetric metric = PolicyMetric::CallsPerMs;
  std::string metric_name = "calls_per_ms";  // as written: calls_per_ms, latency_mean, latency_p90, misses_per_ms...
  double percentile = 0;                     // latency_pNN: NN
  std::string object;
  int method = -1;
  std::string method_name;  // "" for every method
  double window_us = 100;
  double start_us = 0;
  unsigned cpu = 0;
  uint32_t eval_cycles = 200;
  // The condition: the value above (or below) `threshold` for `windows` consecutive windows. Hysteresis:
  // once it acted, the policy is disarmed until a window's value is past `rearm` the other way (rearm <=
  // threshold for `above`, >= for `below`), and it does not act again within `min_interval_us` of its
  // last action's start, nor while that action is under way.
  bool above = true;
  double threshold = 0;
  unsigned windows = 1;
  double rearm = 0;
  double min_interval_us = 0;
  // The action: swap `target` (a group, or one instance "name[i]") to implementation `to` by `strategy`; or,
  // with `update`, a dynamic update of class `update_class` to version `to_version` (`to` is then that version's
  // implementation, `target` empty), eager or `lazy`, its instances swapped by `strategy`: what an update event does.
  std::string target;
  std::string to;
  std::string strategy = "k42_generation";
  bool update = false;
  std::string update_class;
  uint32_t to_version = 0;
  bool lazy = false;
};

}  // namespace quiesce::hotswap
