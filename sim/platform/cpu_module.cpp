#include "platform/cpu_module.h"

#include "platform/machine.h"

namespace quiesce::platform {

CpuModule::CpuModule(sc_core::sc_module_name name, ppc::Hart& hart, Machine& machine, uint64_t quantum_cycles,
                     sc_core::sc_time period)
    : sc_module(name), hart_(hart), machine_(machine), quantum_(quantum_cycles ? quantum_cycles : 1), period_(period) {
  SC_HAS_PROCESS(CpuModule);
  SC_THREAD(thread);
}

uint64_t CpuModule::sync(uint64_t cycle) {
  const uint64_t t = now();
  if (cycle <= t) return t;
  ++syncs_;
  wait(period_ * static_cast<double>(cycle - t));
  return now();
}

void CpuModule::thread() {
  for (;;) {
    // A hart never runs behind SystemC time at a quantum's start (it may fall
    // behind inside one: a store retiring into the store buffer does not stall
    // it while the memory system serves the miss).
    hart_.advance_to(now());
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
