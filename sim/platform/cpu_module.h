// One SystemC module per CPU: runs its hart ahead of SystemC time for at most a
// quantum of cycles, then synchronises (TLM-2.0 loosely-timed style). The
// memory system may also ask it to synchronise in the middle of a quantum,
// before a request that needs a coherence action.
//
// Cycle c of CPU i is SystemC time c * period + i ticks (Machine sets a
// femtosecond resolution), so no two CPUs ever wake at the same SystemC time:
// CPUs meeting at one cycle go in CPU order, never in the order SystemC's
// event queue happens to hold them (which depends on its history).
#pragma once
#include <algorithm>
#include <systemc>

#include "cpu_ppc64/hart.h"

namespace quiesce::platform {

class Machine;

class CpuModule : public sc_core::sc_module {
 public:
  CpuModule(sc_core::sc_module_name name, ppc::Hart& hart, Machine& machine, uint64_t quantum_cycles,
            uint64_t period_ticks, bool lookahead = true);
  ppc::Hart& hart() { return hart_; }
  // Brings this CPU's thread to `cycle` (no-op if it is there already; a
  // SystemC wait unless lookahead finds none needed) and returns its position.
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
  uint64_t now() const { return sc_core::sc_time_stamp().value() / period_; }
  // From now to this CPU's slot of `cycle` (c * period + id ticks, see above).
  sc_core::sc_time delay_to(uint64_t cycle) const {
    return sc_core::sc_time::from_value(cycle * period_ + hart_.id() - sc_core::sc_time_stamp().value());
  }

  ppc::Hart& hart_;
  Machine& machine_;
  uint64_t quantum_;
  uint64_t period_;  // SystemC ticks per cycle
  bool lookahead_;
  uint64_t syncs_ = 0, skipped_ = 0;
  uint64_t ahead_ = 0;  // the cycle a skipped wait left this thread at
  sc_core::sc_event woken_;
};

}  // namespace quiesce::platform
