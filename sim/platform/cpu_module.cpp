#include "platform/cpu_module.h"

#include "platform/machine.h"

namespace quiesce::platform {

CpuModule::CpuModule(sc_core::sc_module_name name, ppc::Hart& hart, Machine& machine, CycleScheduler& scheduler,
                     uint64_t quantum_cycles, bool lookahead)
    : sc_module(name),
      hart_(hart),
      machine_(machine),
      scheduler_(scheduler),
      quantum_(quantum_cycles ? quantum_cycles : 1),
      lookahead_(lookahead) {
  SC_HAS_PROCESS(CpuModule);
  SC_THREAD(thread);
}

// A wait that nothing else could interleave with is skipped: when no other
// CPU is ready before this one at `cycle` (and `cycle` lies before the end of
// the current sc_start), it would get the turn back next and alone, so
// carrying on at once gives the same simulation.
// This is what makes a CPU that runs while the others stall on long misses or
// idle cheap. SystemC time then lags this thread; position() accounts for it.
uint64_t CpuModule::sync(uint64_t cycle) {
  const uint64_t t = position();
  if (cycle <= t) return t;
  ++syncs_;
  if (lookahead_ && cycle < machine_.horizon() && scheduler_.earliest(hart_.id(), cycle)) {
    ++skipped_;
    ahead_ = cycle;
    return cycle;
  }
  scheduler_.wait_turn(hart_.id(), cycle);
  return now();
}

uint64_t CpuModule::block() {
  ++syncs_;
  scheduler_.block(hart_.id());
  return now();
}

void CpuModule::wake(uint64_t cycle) {
  scheduler_.wake(hart_.id(), cycle);
}

void CpuModule::thread() {
  scheduler_.start(hart_.id());
  for (;;) {
    // A hart never runs behind SystemC time at a quantum's start (it may fall
    // behind inside one: a store retiring into the store buffer does not stall
    // it while the memory system serves the miss).
    hart_.advance_to(position());
    // Quantum boundaries are global multiples of the quantum, so cores meet there.
    const uint64_t until = (hart_.cycle() / quantum_ + 1) * quantum_;
    const ppc::StopReason why = hart_.run(until);
    if (why != ppc::StopReason::Budget) {
      // An exit or trap stops SystemC; a halted CPU lets the others go on.
      if (!machine_.cpu_stopped(hart_)) scheduler_.leave();
      return;
    }
    sync(hart_.cycle());
    if (machine_.deadline_passed()) [[unlikely]] {  // the host-time limit (--timeout): stop here
      machine_.stop_at_deadline();  // sc_stop: the simulation ends with this delta, as when a CPU exits
      return;
    }
  }
}

}  // namespace quiesce::platform
