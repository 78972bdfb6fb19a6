// The multiprocessor platform: guest memory, the memory timing model behind the
// port interface, the guest I/O block, and N CPUs each in its own SystemC module.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu_ppc64/core_timing.h"
#include "cpu_ppc64/decode_cache.h"
#include "cpu_ppc64/elf_loader.h"
#include "cpu_ppc64/hart.h"
#include "memory_coherence/coherent_memory.h"
#include "memory_coherence/guest_memory.h"
#include "memory_coherence/hierarchy_config.h"
#include "platform/cpu_module.h"
#include "platform/cycle_scheduler.h"
#include "platform/guest_io.h"

namespace quiesce::platform {

// A machine setting out of range: bad input, reported with exit code 2.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MachineConfig {
  unsigned cpus = 1;
  uint64_t memory_bytes = uint64_t{256} << 20;
  uint64_t stack_bytes = uint64_t{1} << 20;  // per CPU, carved from the top of RAM
  // 250: a hot swap's cross-CPU handoffs (meetings, wakes) are seen up to a quantum late; at 1000 the
  // k42 swap on 8 CPUs took 7% longer than in lockstep, at 250 under 1% (bench/run, accuracy).
  uint64_t quantum_cycles = 250;
  // A sync that no other CPU could precede carries on without a SystemC wait
  // (CpuModule::sync). Exact; off only to measure what it saves.
  bool lookahead = true;
  double clock_hz = 2e9;
  uint64_t max_instructions = 0;  // per CPU; 0 = no limit
  ppc::CoreTiming core;
  mem::HierarchyConfig hierarchy;
};

struct CpuResult {
  unsigned id;
  uint64_t instructions, cycles;
  ppc::StopReason stop;
  mem::CoherenceCounters counters;
  uint64_t syncs;  // mid-quantum synchronisations with SystemC time
};

struct RegionResult {
  std::string name;
  uint64_t start, bytes;
  mem::CoherenceCounters counters;
  // As caused by each CPU's requests: the CPUs that caused any, ascending (the others caused none).
  std::vector<mem::CoherentMemory::CpuCounters> per_cpu;
};

struct RunResult {
  bool exited = false;
  int exit_code = 0;
  std::optional<unsigned> trapped_cpu;  // first CPU that faulted
  std::vector<CpuResult> cpus;
  std::vector<RegionResult> regions;  // regions with any access, in address order
  uint64_t coherence_violations = 0;  // found by the invariant checker (machine.check_invariants)
  std::string first_violation;
  uint64_t instructions = 0, cycles = 0;
  double host_seconds = 0;
  uint64_t waits_skipped = 0;  // syncs that needed no SystemC wait (CpuModule::sync): how, not what
};

class Machine final : public mem::TimeSync_if {
 public:
  // `host_calls`: the window an OS model will serve (attach_host), if any.
  explicit Machine(const MachineConfig& cfg, ppc::Environment_if::HostCallWindow host_calls = {});
  ~Machine() override;

  // Loads a static ELF and sets every CPU at its entry with the boot protocol
  // registers (r1 stack top, r2 TOC, r3 cpu id, r4 cpu count, r12 entry).
  void load(const std::string& elf_path);
  void enable_trace(std::FILE* out);
  // Host calls in the window go to `host` (e.g. the OS kernel) from now on.
  void attach_host(ppc::Environment_if& host) { env_.attach(&host); }
  // Runs until every CPU stops, or until `stop_cycle` cycles of simulated time
  // (0: no limit), calling `progress(fraction done)` now and then if given.
  // With `progress`, the run goes in `slices` steps and reports after each;
  // between two, stop_early() ends it there (a host-time limit, say).
  RunResult run(uint64_t stop_cycle = 0, const std::function<void(double)>& progress = {}, unsigned slices = 50);
  void stop_early() { stopping_ = true; }
  // A host-time limit that holds whatever the scenario: `seconds` after this call a timer thread raises
  // a flag that every CPU module reads after each quantum, and the first to see it stops the run
  // there (not at the next progress slice, which may be far off in a long run). 0: none.
  void set_deadline(double seconds);
  bool deadline_passed() const { return deadline_->passed.load(std::memory_order_relaxed); }
  // Called by a CPU module that saw the flag; true once the run has been stopped for it.
  void stop_at_deadline();
  bool stopped_at_deadline() const { return stopped_at_deadline_; }
  mem::GuestMemory& guest_memory() { return memory_; }
  const MachineConfig& config() const { return cfg_; }
  // The first address of the CPUs' boot stacks (the top of memory).
  uint64_t stack_floor() const { return cfg_.memory_bytes - cfg_.stack_bytes * cfg_.cpus; }

  const ppc::LoadedProgram& program() const { return program_; }
  ppc::Hart& hart(unsigned i) { return *harts_[i]; }
  unsigned cpus() const { return cfg_.cpus; }

  // Called by a CPU module when its hart stops for good (halt, exit, trap);
  // true if that ends the simulation.
  bool cpu_stopped(ppc::Hart& h);
  uint64_t sync(unsigned cpu, uint64_t cycle) override { return modules_[cpu]->sync(cycle); }
  uint64_t position(unsigned cpu) override { return modules_[cpu]->position(); }
  uint64_t block(unsigned cpu) override { return modules_[cpu]->block(); }
  void wake(unsigned cpu, uint64_t cycle) override { modules_[cpu]->wake(cycle); }
  // The cycle the current sc_start() ends at (no CPU may run past it unseen).
  uint64_t horizon() const { return horizon_; }

  mem::CoherentMemory& memory_system() { return port_; }
  const mem::CoherentMemory& memory_system() const { return port_; }
  uint64_t syncs(unsigned cpu) const { return modules_[cpu]->syncs(); }

 private:
  MachineConfig cfg_;
  mem::GuestMemory memory_;
  mem::CoherentMemory port_;
  GuestIo io_;
  PlatformEnv env_;
  ppc::DecodeCache icache_;
  uint64_t period_ = 0;  // SystemC ticks per cycle
  CycleScheduler scheduler_;
  std::vector<std::unique_ptr<ppc::Hart>> harts_;
  std::vector<std::unique_ptr<CpuModule>> modules_;
  ppc::LoadedProgram program_;
  std::unique_ptr<ppc::Tracer> tracer_;
  std::optional<unsigned> trapped_;
  bool stopping_ = false;
  uint64_t horizon_ = ~uint64_t{0};
  struct Deadline {
    std::atomic<bool> passed{false};
    std::mutex m;
    std::condition_variable cv;
    bool cancelled = false;
    std::thread timer;
  };
  std::unique_ptr<Deadline> deadline_ = std::make_unique<Deadline>();
  bool stopped_at_deadline_ = false;
};

// Human-readable trap report (cpu, pc, symbol+offset, word, Capstone disassembly, registers).
// `memory` (the machine's): a fault in a stack guard also names the CPU whose stack overflowed.
// `describe` names a code address where the symbol table does not (the OS layer's generated code).
std::string trap_report(const ppc::Hart& h, const ppc::SymbolTable& symbols, const mem::GuestMemory* memory = nullptr,
                        const std::function<std::string(uint64_t)>& describe = {});

}  // namespace quiesce::platform
