// One SystemC module per CPU: runs its hart ahead of SystemC time for at most a
// quantum of cycles, then synchronises (TLM-2.0 loosely-timed style).
#pragma once
#include <systemc>

#include "cpu_ppc64/hart.h"

namespace quiesce::platform {

class Machine;

class CpuModule : public sc_core::sc_module {
 public:
  CpuModule(sc_core::sc_module_name name, ppc::Hart& hart, Machine& machine, uint64_t quantum_cycles,
            sc_core::sc_time period);
  ppc::Hart& hart() { return hart_; }

 private:
  void thread();

  ppc::Hart& hart_;
  Machine& machine_;
  uint64_t quantum_;
  sc_core::sc_time period_;
};

}  // namespace quiesce::platform
