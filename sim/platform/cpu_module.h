// One SystemC module per CPU: runs its hart ahead of SystemC time for at most a
// quantum of cycles, then synchronises (TLM-2.0 loosely-timed style). The
// memory system may also ask it to synchronise in the middle of a quantum,
// before a request that needs a coherence action.
//
// Cycle c is SystemC time c * period. Which CPU runs when several are due at
// one time is the CycleScheduler's choice, not SystemC's: CPU order.
#pragma once
#include <algorithm>
#include <systemc>

#include "cpu_ppc64/hart.h"
#include "platform/cycle_scheduler.h"

namespace quiesce::platform {

class Machine;

class CpuModule : public sc_core::sc_module {
 public:
  CpuModule(sc_core::sc_module_name name, ppc::Hart& hart, Machine& machine, CycleScheduler& scheduler,
            uint64_t quantum_cycles, bool lookahead = true);
  ppc::Hart& hart() { return hart_; }
  // Brings this CPU's thread to `cycle` (no-op if it is there already; a
  // wait for its turn unless lookahead finds none needed) and returns its position.
  // Only from this module's own thread, i.e. from inside hart().run().
  uint64_t sync(uint64_t cycle);
  // Where this CPU's thread stands in simulated time: SystemC's time, or
  // later if a wait was skipped since SystemC last advanced.
  uint64_t position() const { return std::max(now(), ahead_); }
  // Waits, counted as a sync, until wake(); returns the time then.
  uint64_t block();
  // From another CPU's thread: resumes this blocked one at `cycle`.
  void wake(uint64_t cycle);
  uint64_t syncs() const { return syncs_; }
  // Of those, the waits skipped because nothing else could happen first (a host fact).
  uint64_t waits_skipped() const { return skipped_; }

 private:
  void thread();
  uint64_t now() const { return scheduler_.now(); }

  ppc::Hart& hart_;
  Machine& machine_;
  CycleScheduler& scheduler_;
  uint64_t quantum_;
  bool lookahead_;
  uint64_t syncs_ = 0, skipped_ = 0;
  uint64_t ahead_ = 0;  // the cycle a skipped wait left this thread at
};

}  // namespace quiesce::platform
