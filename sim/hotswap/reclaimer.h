// Deferred destruction of what a swap leaves behind (issue 24): the old
// object's reps and shared state and the swap's own structures (the
// Mediator's reps and line) go back to the OS allocator (os::GuestHeap's
// per-processor pools) once no thread can hold a reference to them, by the
// rule the swap's strategy declares (StrategyInfo::reclaim):
//   generations  K42's: two generation swaps on every CPU counted from the
//                swap's end (a thread that loaded a rep from a translation
//                entry before the swing has ended). A CPU whose previous
//                generation has drained swaps at its next kernel entry, as
//                the Mediator's workers do, paying the swap's cost.
//   at_end       at the swap's end: the strategy's own wait (a drained count,
//                a grace period, a stack check, a finished transition)
//                already proved that nothing holds the old object.
//   at_start     when the swap begins, waiting for nothing: unsafe (the
//                broken twins that free early; the oracle must catch them).
// Freed reps are told to the safety oracle: an instruction of their
// implementation executed on one of them is a use after free. Every free is
// paid on the CPU that makes it, through its caches.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hotswap/safety_oracle.h"
#include "hotswap/strategy_registry.h"
#include "os_model/swap_interface.h"

namespace quiesce::hotswap {

inline constexpr unsigned kNoObject = ~0u;  // Garbage::coid of what is no object's (a factory's old table)

struct Garbage {
  unsigned swap = 0, coid = 0;
  std::string object;
  int impl = -1;                 // the implementation whose code must not run on `reps` once freed
  std::vector<uint64_t> reps;    // reps of `impl`
  std::vector<uint64_t> blocks;  // other blocks (shared state, the mediator's structures)
};

class Reclaimer {
 public:
  Reclaimer(os::SwapInterface k, SafetyOracle& oracle, const std::vector<os::ImplementationSpec>& impls)
      : k_(k), oracle_(oracle), impls_(impls) {}
  // Frees `g` by `rule`, counted from now on h's CPU; `freed(cycle)` runs when it is done.
  void retire(ppc::Hart& h, Reclaim rule, Garbage g, std::function<void(uint64_t)> freed);
  size_t pending() const { return waits_.size(); }

 private:
  struct Wait {
    Garbage g;
    std::vector<uint64_t> target;  // per CPU: the generation swaps to reach
    std::function<void(uint64_t)> freed;
  };
  void free_now(ppc::Hart& h, const Garbage& g);
  void poll(ppc::Hart& h);

  os::SwapInterface k_;
  SafetyOracle& oracle_;
  const std::vector<os::ImplementationSpec>& impls_;
  std::vector<Wait> waits_;
  std::vector<std::vector<Wait>> now_;  // poll's, per CPU
  os::SwapHooks_if::HookId hook_ = 0;
};

}  // namespace quiesce::hotswap
