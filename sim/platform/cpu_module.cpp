#include "platform/cpu_module.h"

#include "platform/machine.h"

namespace quiesce::platform {

CpuModule::CpuModule(sc_core::sc_module_name name, ppc::Hart& hart, Machine& machine, uint64_t quantum_cycles,
                     sc_core::sc_time period)
    : sc_module(name), hart_(hart), machine_(machine), quantum_(quantum_cycles ? quantum_cycles : 1), period_(period) {
  SC_HAS_PROCESS(CpuModule);
  SC_THREAD(thread);
}

void CpuModule::thread() {
  for (;;) {
    const auto now = static_cast<uint64_t>(sc_core::sc_time_stamp() / period_);
    hart_.advance_to(now);
    // Quantum boundaries are global multiples of the quantum, so cores meet there.
    const uint64_t until = (now / quantum_ + 1) * quantum_;
    const ppc::StopReason why = hart_.run(until);
    if (why != ppc::StopReason::Budget) {
      machine_.cpu_stopped(hart_);
      return;
    }
    wait(period_ * static_cast<double>(hart_.cycle() - now));
  }
}

}  // namespace quiesce::platform
