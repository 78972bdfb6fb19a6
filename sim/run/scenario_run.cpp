#include "run/scenario_run.h"

#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "diag/log.h"
#include "run/scheduler_log.h"
#include "run/trace_writer.h"

namespace quiesce::run {

namespace {
constexpr uint64_t kHeapAlign = uint64_t{1} << 20;
}

ScenarioRun::ScenarioRun(const scenario::Scenario& s) : s_(s) {
  machine_ = std::make_unique<platform::Machine>(
      s.machine, ppc::Environment_if::HostCallWindow{os::OsKernel::kHostCallBase, os::OsKernel::kHostCallBytes});
  uint64_t heap_base = kHeapAlign;
  const ppc::LoadedProgram* program = nullptr;
  if (!s.os.guest_elf.empty()) {
    machine_->load(s.os.guest_elf);
    program = &machine_->program();
    heap_base = (program->highest + kHeapAlign - 1) & ~(kHeapAlign - 1);
  }
  os::KernelParams p;
  p.cpus = s.machine.cpus;
  p.clock_hz = s.machine.clock_hz;
  p.line_bytes = s.machine.hierarchy.line_bytes;
  p.heap_base = heap_base;
  p.heap_limit = machine_->stack_floor();
  p.program = program;
  strategies_ = std::make_unique<hotswap::StrategySet>(s.implementations, s.objects, s.hotswap);
  p.gates = strategies_->gates();
  if (p.heap_base >= p.heap_limit)
    throw os::GuestHeapExhausted("no guest memory is left for OS structures (raise machine.memory.size_mib)");
  kernel_ = std::make_unique<os::OsKernel>(machine_->guest_memory(), machine_->memory_system().regions(), p, s.os,
                                           s.implementations, s.objects, s.workloads, s.run, s.outputs, s.devices);
  hotswap_ = std::make_unique<hotswap::HotSwapManager>(kernel_->swap_interface(), s_.implementations, s_.objects, s_.hotswap,
                                                       *strategies_);
  if (hotswap::PolicyEngine* policies = hotswap_->policies()) {  // misses_per_ms, queue_cycles_per_ms: a CPU's
    // performance counter of the coherence misses (queue cycles) its accesses to an object's regions took
    mem::CoherentMemory& mem = machine_->memory_system();
    policies->set_coherence_counter([&mem, ids = std::map<std::string, std::pair<uint64_t, std::vector<uint32_t>>>()](
                                        unsigned cpu, const std::string& object, bool queue) mutable {
      auto& [generation, regions] = ids[object];
      if (generation != mem.regions().generation() + 1) {  // the object's regions: NAME.* and NAME[].*
        generation = mem.regions().generation() + 1, regions.clear();
        for (uint32_t id = 0; id < mem.regions().size(); ++id) {
          const std::string& n = mem.regions().name(id);
          if (n.rfind(object + ".", 0) == 0 || n.rfind(object + "[].", 0) == 0) regions.push_back(id);
        }
      }
      uint64_t sum = 0;
      for (const uint32_t id : regions) {
        const mem::CoherenceCounters c = mem.region_cpu_counters(id, cpu);
        sum += queue ? c.queue_cycles : c.misses;
      }
      return sum;
    });
  }
  machine_->attach_host(*kernel_);
  for (unsigned c = 0; c < s.machine.cpus; ++c) kernel_->boot(machine_->hart(c));
  if (diag::enabled(diag::Sub::Scheduler, diag::Level::Debug)) {  // its lines are debug and trace
    sched_log_ = std::make_unique<SchedulerLog>(*kernel_);
    observe(sched_log_.get());
  }
}

void ScenarioRun::observe(os::KernelObserver* o) {
  if (!observers_) observers_ = std::make_unique<ObserverList>();
  observers_->add(o);
  kernel_->set_observer(observers_.get());
}

ScenarioRun::~ScenarioRun() = default;

void ScenarioRun::record_trace() {
  trace_ = std::make_unique<TraceWriter>(*kernel_);
  trace_->watch_methods(kernel_->swap_interface());
  observe(trace_.get());
}

std::string ScenarioRun::trace_json() const { return trace_ ? trace_->to_json(*this) : std::string(); }

uint64_t ScenarioRun::duration_cycles() const {
  return static_cast<uint64_t>(std::llround(s_.run.duration_us * s_.machine.clock_hz / 1e6));
}

bool ScenarioRun::completed() const { return !timed_out_ && kernel_->watchdog_report().empty(); }

std::string ScenarioRun::stop_reason() const {
  if (timed_out_) return "timeout";
  const std::string& w = kernel_->watchdog_report();
  if (w.empty()) return {};
  return w.rfind("deadlock", 0) == 0 ? "deadlock" : "watchdog";
}

std::string ScenarioRun::stop_detail() const {
  if (timed_out_)
    return fmt::format("--timeout {}: the host-time limit was reached at cycle {} of {}", timeout_s_, reached_cycles(),
                       duration_cycles());
  const std::string& w = kernel_->watchdog_report();
  return w.substr(0, w.find('\n'));
}

// Stopped early: the time every CPU reached (CPUs run up to a quantum apart; the slowest one's cycle).
uint64_t ScenarioRun::reached_cycles() const {
  if (completed()) return duration_cycles();
  uint64_t reached = duration_cycles();
  for (const auto& c : result_.cpus) reached = std::min(reached, c.cycles);
  return reached;
}

const platform::RunResult& ScenarioRun::run(const std::function<void(double)>& progress) {
  result_ = machine_->run(std::max<uint64_t>(1, duration_cycles()), progress);
  hotswap_->audit_calls();
  return result_;
}

const platform::RunResult& ScenarioRun::run_with_limit(double seconds, const std::function<void(double)>& progress,
                                                       bool& timed_out) {
  constexpr unsigned kChecks = 2000;  // slicing changes nothing simulated; each check is one clock read
  const auto t0 = std::chrono::steady_clock::now();
  timed_out = false;
  unsigned shown = 0;
  machine_->set_deadline(seconds);  // checked after every quantum: the limit holds within about a quantum's host time
  result_ = machine_->run(
      std::max<uint64_t>(1, duration_cycles()),
      [&](double f) {
        if (progress && f * 50 >= shown + 1) progress(f), shown = static_cast<unsigned>(f * 50);
        if (f < 1 && std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds) {
          timed_out = true;
          machine_->stop_early();
        }
      },
      kChecks);
  timed_out = timed_out || machine_->stopped_at_deadline();
  timed_out_ = timed_out, timeout_s_ = seconds;
  if (!timed_out) hotswap_->audit_calls();  // a run cut short may have calls in flight anywhere
  return result_;
}

}  // namespace quiesce::run
