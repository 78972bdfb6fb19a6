// One SystemC module per CPU: runs its hart ahead of SystemC time for at most a
// quantum of cycles, then synchronises (TLM-2.0 loosely-timed style). The
// memory system may also ask it to synchronise in the middle of a quantum,
// before a request that needs a coherence action.
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
  // Waits until SystemC time reaches `cycle` (no-op if it already has) and
  // returns the time in cycles. Only
  // from this module's own thread, i.e. from inside hart().run().
  uint64_t sync(uint64_t cycle);
  uint64_t syncs() const { return syncs_; }

 private:
  void thread();
  uint64_t now() const { return static_cast<uint64_t>(sc_core::sc_time_stamp() / period_); }

  ppc::Hart& hart_;
  Machine& machine_;
  uint64_t quantum_;
  sc_core::sc_time period_;
  uint64_t syncs_ = 0;
};

}  // namespace quiesce::platform
