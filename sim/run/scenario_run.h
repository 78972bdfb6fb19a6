// One run of a scenario: the machine, the guest ELF of `symbol` methods (if
// any), and the OS kernel on top, run for the scenario's duration.
#pragma once
#include <memory>
#include <string>

#include "hotswap/hotswap_manager.h"
#include "os_model/os_kernel.h"
#include "platform/machine.h"
#include "scenario/scenario.h"

namespace quiesce::run {

class TraceWriter;
class SchedulerLog;
class ObserverList;

class ScenarioRun {
 public:
  // Builds everything (throws BuildError, ConfigError, LoadError, GuestHeapExhausted on bad input).
  explicit ScenarioRun(const scenario::Scenario& s);
  ~ScenarioRun();
  // Progress is reported through `progress(simulated fraction)` now and then, if given.
  const platform::RunResult& run(const std::function<void(double)>& progress = {});
  // Ends the run at the next of many checks once `seconds` of host time have passed; true if it did.
  const platform::RunResult& run_with_limit(double seconds, const std::function<void(double)>& progress,
                                            bool& timed_out);
  // Record a timeline while running (before run()); its JSON afterwards ("" when not recorded).
  void record_trace();
  std::string trace_json() const;

  const scenario::Scenario& scenario() const { return s_; }
  const platform::RunResult& result() const { return result_; }
  const os::OsKernel& kernel() const { return *kernel_; }
  const hotswap::HotSwapManager& hotswap() const { return *hotswap_; }
  platform::Machine& machine() { return *machine_; }
  uint64_t duration_cycles() const;
  // Whether the run reached its end: not stopped by --timeout (run_with_limit) or the kernel's
  // watchdog (a deadlock, a swap past hotswap.timeout_us).
  bool completed() const;
  // Why not ("" when completed): "timeout", "deadlock" or "watchdog", and its one-line detail.
  std::string stop_reason() const;
  std::string stop_detail() const;
  // The simulated time the run reached (its duration when completed; else where the CPUs got to).
  uint64_t reached_cycles() const;

 private:
  scenario::Scenario s_;
  std::unique_ptr<platform::Machine> machine_;
  std::unique_ptr<hotswap::StrategySet> strategies_;  // before the kernel: its build asks for the call gates
  std::unique_ptr<os::OsKernel> kernel_;
  std::unique_ptr<hotswap::HotSwapManager> hotswap_;
  platform::RunResult result_;
  bool timed_out_ = false;
  double timeout_s_ = 0;
  std::unique_ptr<TraceWriter> trace_;
  std::unique_ptr<SchedulerLog> sched_log_;  // when the diagnostic log's scheduler part is on
  std::unique_ptr<ObserverList> observers_;  // the kernel's observer: the two above, whichever there are
  void observe(os::KernelObserver* o);
};

}  // namespace quiesce::run
