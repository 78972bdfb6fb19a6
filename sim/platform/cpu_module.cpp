#include "platform/cpu_module.h"

#include "platform/machine.h"

namespace quiesce::platform {

CpuModule::CpuModule(sc_core::sc_module_name name, ppc::Hart& hart, Machine& machine, uint64_t quantum_cycles,
                     uint64_t period_ticks, bool lookahead)
    : sc_module(name),
      hart_(hart),
      machine_(machine),
      quantum_(quantum_cycles ? quantum_cycles : 1),
      period_(period_ticks),
      lookahead_(lookahead) {
  SC_HAS_PROCESS(CpuModule);
  SC_THREAD(thread);
}

// A wait that nothing else could interleave with is skipped: when no other
// process is runnable now and the earliest pending event lies after `cycle`
// (and before the end of the current sc_start), SystemC would resume this
// thread next and alone, so carrying on at once gives the same simulation.
// This is what makes a CPU that runs while the others stall on long misses or
// idle cheap. SystemC time then lags this thread; position() accounts for it.
uint64_t CpuModule::sync(uint64_t cycle) {
  const uint64_t t = position();
  if (cycle <= t) return t;
  ++syncs_;
  const sc_core::sc_time d = delay_to(cycle);
  if (lookahead_ && cycle < machine_.horizon() && d < sc_core::sc_time_to_pending_activity()) {
    ++skipped_;
    ahead_ = cycle;
    return cycle;
  }
  wait(d);
  return now();
}

uint64_t CpuModule::block() {
  ++syncs_;
  wait(woken_);
  return now();
}

void CpuModule::wake(uint64_t cycle) {
  woken_.notify(delay_to(cycle));
}

void CpuModule::thread() {
  for (;;) {
    // A hart never runs behind SystemC time at a quantum's start (it may fall
    // behind inside one: a store retiring into the store buffer does not stall
    // it while the memory system serves the miss).
    hart_.advance_to(position());
    // Quantum boundaries are global multiples of the quantum, so cores meet there.
    const uint64_t until = (hart_.cycle() / quantum_ + 1) * quantum_;
    const ppc::StopReason why = hart_.run(until);
    if (why != ppc::StopReason::Budget) {
      machine_.cpu_stopped(hart_);
      return;
    }
    sync(hart_.cycle());
  }
}

}  // namespace quiesce::platform
