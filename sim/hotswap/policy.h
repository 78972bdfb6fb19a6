// Autonomic swaps (issue 24): each scenario policy (policy_spec.h) is a
// `Policy`. Its monitor's data are counters the kernel keeps in guest memory,
// per CPU (a line of counts and a line of latency buckets per CPU and policy,
// region `policy.NAME`): each top-level call to the watched object adds itself
// on the CPU it completes on, paid there through that CPU's caches (the
// kernel's call observer, os_model/swap_interface.h). The monitor is a system
// thread on the policy's CPU that wakes every window, loads every CPU's lines
// through its own caches (misses where the CPUs wrote since), charges its
// evaluation, and decides: the value past the threshold for N consecutive
// windows, armed (hysteresis), the last action done and min_interval_us past,
// the target not already there. A decision starts the swaps through
// HotSwapManager::start_policy_swaps, as an event would (an update action: a
// dynamic update of a class, HotSwapManager::start_policy_update). Every window and every
// decision, with the values that triggered it, is recorded for the results.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hotswap/policy_spec.h"
#include "os_model/swap_interface.h"

namespace quiesce::hotswap {

class HotSwapManager;
class DynamicUpdate;

// What one window of a policy's monitor saw and decided.
struct PolicyWindow {
  uint64_t start_cycle = 0, end_cycle = 0;  // from the previous read to this one (when the monitor ran)
  uint64_t calls = 0;                       // the watched calls completed in it, summed over the CPUs
  bool has_value = false;                   // false: a latency metric over no calls
  double value = 0;
  unsigned streak = 0;          // consecutive windows meeting the condition, this one included
  uint64_t monitor_cycles = 0;  // the monitor's step: its loads of every CPU's lines and its evaluation
  // idle (condition false), streak (true, fewer than `windows` windows), fired, busy (its last action, or
  // another swap of the target, under way), disarmed (waiting for the value to pass `rearm`), rearmed,
  // interval (min_interval_us not past), at_target (the target already has the implementation), no_data
  const char* state = "idle";
};

// One decision: the policy acted.
struct PolicyDecision {
  unsigned id = 0;      // engine-wide, in the order decisions were taken (the swaps' `decision`)
  unsigned window = 0;  // the window that completed the condition
  uint64_t cycle = 0;   // when (the monitor's CPU)
  double value = 0;
  std::vector<double> values;  // the `windows` values that met the condition, oldest first
  std::vector<std::string> from;  // the target's implementations then (one entry per distinct one)
  uint64_t done_cycle = 0;        // when the last of its swaps ended (0: not yet); an update: when it completed
  bool done = false;
  int update = -1;  // an update action: its index in HotSwapManager::policy_updates()
};

class Policy {
 public:
  Policy(os::SwapInterface k, HotSwapManager& manager, const PolicySpec& spec, unsigned group,
         std::vector<unsigned> targets, unsigned to, unsigned& next_decision);
  const PolicySpec& spec() const { return spec_; }
  const std::vector<PolicyWindow>& windows() const { return windows_; }
  const std::vector<PolicyDecision>& decisions() const { return decisions_; }
  uint64_t counters() const { return base_; }  // the per-CPU counters' guest address
  // The kernel's call observer: a call completed on h's CPU.
  void count(ppc::Hart& h, const os::Thread& t, uint64_t latency);
  // misses_per_ms, queue_cycles_per_ms: the CPU's performance counter of coherence misses (or queue cycles) on
  // the object's regions, as the kernel reads it (an SPR) at a call's completion and keeps it in the CPU's line.
  using CoherenceCounter = std::function<uint64_t(unsigned cpu, const std::string& object, bool queue_cycles)>;
  void set_coherence_counter(CoherenceCounter c) { pmu_ = std::move(c); }

  static constexpr unsigned kBuckets = 16;  // latency buckets: [0,128), [128,256), ... [2^21, inf)
  static unsigned bucket(uint64_t latency);

 private:
  os::SystemStep step(ppc::Hart& h, const os::Thread& t);
  void decide(ppc::Hart& h, PolicyWindow& w);
  bool busy() const;
  bool at_target() const;
  const os::Factory* factory() const;  // an update action's class's factory (null: none)
  uint64_t line(unsigned cpu) const { return base_ + uint64_t{cpu} * stride_; }
  uint64_t buckets(unsigned cpu) const { return line(cpu) + line_bytes_; }

  os::SwapInterface k_;
  HotSwapManager& manager_;
  PolicySpec spec_;
  unsigned group_, to_;
  std::vector<unsigned> targets_;
  unsigned& next_decision_;
  uint32_t line_bytes_;
  uint64_t base_ = 0, stride_ = 0, window_cycles_ = 0;
  double cycles_per_ms_;
  // The monitor's previous read (its own memory: a snapshot per CPU).
  bool baseline_ = false;
  uint64_t last_read_ = 0, next_wake_ = 0;
  std::vector<uint64_t> prev_calls_, prev_sum_, prev_buckets_, prev_events_;
  CoherenceCounter pmu_;
  bool armed_ = true;
  unsigned streak_ = 0;
  std::vector<double> recent_;  // the current streak's values
  bool acting_ = false;         // its last action's swaps are under way
  const DynamicUpdate* update_ = nullptr;  // an update action's last update
  bool acted_ = false;
  uint64_t last_action_ = 0;
  std::vector<PolicyWindow> windows_;
  std::vector<PolicyDecision> decisions_;
};

// A run's policies, in the scenario's order.
class PolicyEngine {
 public:
  PolicyEngine(os::SwapInterface k, HotSwapManager& manager, const std::vector<os::ImplementationSpec>& impls,
               const std::vector<PolicySpec>& specs);
  const std::vector<std::unique_ptr<Policy>>& policies() const { return policies_; }
  // Where misses_per_ms and queue_cycles_per_ms read the CPUs' counters (the run gives the memory system's).
  void set_coherence_counter(const Policy::CoherenceCounter& c) {
    for (auto& p : policies_) p->set_coherence_counter(c);
  }

 private:
  unsigned next_decision_ = 0;
  std::vector<std::unique_ptr<Policy>> policies_;
};

}  // namespace quiesce::hotswap
