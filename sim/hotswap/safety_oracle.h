// The safety oracle: the simulator knows what every thread executes, so it
// can say when a swap was unsafe. Always on. A violation is state transfer
// starting while a thread is still executing in the old object, old code
// entered after its state was transferred, or a call lost or served twice.
//
// "Executing in the old object" is read from the thread itself: its pc, and
// the return addresses saved in its stack frames (the back chain), that lie
// in the old implementation's method code, with the activation's `this` (in
// r3, or saved in the generated method's frame) being one of the old reps.
// Methods compiled from C do not say where they keep `this`: for them r3 is
// used, which is exact at entry and may miss an activation later on.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "os_model/swap_interface.h"

namespace quiesce::hotswap {

struct Violation {
  uint64_t cycle;
  unsigned cpu;
  int thread;  // -1: not a thread's doing
  std::string object, what;
  int swap = -1;  // the swap it concerns, if any
};

class SafetyOracle {
 public:
  void report(Violation v) { violations_.push_back(std::move(v)); }
  const std::vector<Violation>& violations() const { return violations_; }

  // Threads (any CPU, running or not) with an activation of implementation
  // `impl` whose `this` is one of `reps`; appends a violation for each.
  // Returns how many were found.
  unsigned check_not_inside(const os::SwapInterface& k, unsigned impl, const std::vector<uint64_t>& reps, uint64_t cycle,
                            unsigned cpu, const std::string& object, const std::string& when, int swap = -1);
  // Violations attributed to swap `id`.
  unsigned count_for(unsigned id) const;

 private:
  std::vector<Violation> violations_;
};

}  // namespace quiesce::hotswap
