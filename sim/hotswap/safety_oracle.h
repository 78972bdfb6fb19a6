// The safety oracle: the simulator knows what every thread executes, so it
// judges what really runs, independently of any strategy's own mechanism.
// Always on. Violations:
//   - an instruction of an old implementation executed for a swapped instance
//     after that instance's state was handed over (hand_over(): for copy and
//     transform when the transfer starts, for by_reference when the new
//     implementation may run on the same state), at any call depth, by a
//     thread that entered before or after the swap began;
//   - a call lost or served twice, or state lost (the run's audit, the swaps'
//     exactly-once release of held calls).
// A call a strategy holds and later sends to the new implementation executes
// no old code after the hand-over: it is not a violation.
//
// How: at a hand-over the old implementation's method code is watched (the
// cores tell the kernel before each instruction there; nothing is watched, and
// nothing paid per instruction, before the first hand-over). At each watched
// instruction the oracle finds the activation's `this`: a generated body keeps
// it in its frame (r3 before its prologue ran); a method compiled from C has it
// in r3 at its entry, which the oracle records per thread while watching (an
// activation that began before the watch is attributed to the thread's
// top-level call when that call is into the same implementation, else not
// judged). `this` being one of the handed-over instance's old reps is a
// violation, reported once per thread and call. CPUs run up to a quantum
// apart: an instruction at a cycle before the hand-over is not one (a CPU
// behind in time), and one that a CPU ahead in time ran past the hand-over
// before the watch was armed goes unseen — lockstep (quantum 1) sees all.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
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
  // Violations attributed to swap `id`.
  unsigned count_for(unsigned id) const;

  // Instance `coid`'s state, held by `reps` of implementation `old_impl`, was handed over by swap `swap` to
  // `new_impl`: from now on no instruction of old_impl may run on those reps. (An earlier hand-over of the
  // same reps away from new_impl ends: a swap back by reference makes that code theirs again.)
  // `by_reference`: new_impl runs on the same reps, so code both implementations share (one compiled
  // function named by both) cannot tell an old call from a new one there, and is not judged; the
  // exactly-once audit still counts its calls.
  void hand_over(const os::SwapInterface& k, unsigned swap, unsigned coid, unsigned old_impl, unsigned new_impl,
                 bool by_reference, const os::ImplementationSpec& old_spec, const std::vector<uint64_t>& reps,
                 const std::string& object, uint64_t cycle);
  // Implementation `impl` may run on `reps` again from now on: an earlier hand-over of those reps away from
  // it ends. hand_over does this for its new implementation; a strategy that runs the new implementation
  // before its hand-over says so when it begins (livepatch during its transition, rcu once it published).
  void reclaim(unsigned impl, const std::vector<uint64_t>& reps);
  // Instance `coid`'s `reps` of implementation `impl` went back to the OS allocator (issue 24, reclaimer.h):
  // from now on an instruction of `impl` executed on one of them is a use after free, attributed to swap
  // `swap` (kNoSwap: a destroyed instance's), while the block is free. Once the allocator has handed it out
  // again it is a new object's (a call held across a swap may rightly run there): no longer judged.
  void freed(const os::SwapInterface& k, unsigned swap, unsigned coid, unsigned impl, const os::ImplementationSpec& spec,
             const std::vector<uint64_t>& reps, const std::string& object, uint64_t cycle);
  static constexpr unsigned kNoSwap = ~0u;  // freed() of a destroyed instance's reps: no swap's doing
  // The allocator handed out the block at `addr` again: a hand-over of it no longer holds.
  void forget(uint64_t addr);
  // Whether `rep` is a rep of implementation `impl` held by a swap under way (its old or new root, out of
  // the translation tables): the hot-swap layer tells.
  void set_swap_reps(std::function<bool(uint64_t rep, unsigned impl)> f) { swap_reps_ = std::move(f); }
  // Old-implementation instructions judged so far (host work, for the record).
  uint64_t judged() const { return judged_; }
  // Threads that seem to be inside an activation of `impl` on one of `reps` now, read from their pc and
  // saved frames (generated bodies only: a C method keeps `this` where it likes). Not a verdict — a
  // thread inside may never run there again — but what the mutation test counts as a defect showing.
  static unsigned seemingly_inside(const os::SwapInterface& k, unsigned impl, const std::vector<uint64_t>& reps);

 private:
  struct HandOver {
    unsigned swap, coid, impl, new_impl;
    bool by_reference;
    const os::ImplementationSpec* spec;
    std::vector<uint64_t> reps;
    std::string object;
    uint64_t cycle;
  };
  struct Activation {  // a method compiled from C, entered while watched
    uint64_t sp, self;
    unsigned impl, method;
  };
  void judge(ppc::Hart& h, const os::Thread* t, uint64_t pc, unsigned impl);
  void unwatch_if_unused(unsigned impl);
  void watch(const os::SwapInterface& k, unsigned impl);

  std::optional<os::SwapInterface> k_;
  std::vector<Violation> violations_;
  std::vector<HandOver> handed_;
  std::map<unsigned, std::vector<os::SwapHooks_if::WatchId>> watches_;  // impl -> its methods' watches
  std::vector<std::vector<Activation>> activations_;                   // per thread
  std::set<std::tuple<unsigned, unsigned, uint64_t>> reported_;         // (swap, thread, call start)
  std::function<bool(uint64_t, unsigned)> swap_reps_;
  struct Freed {
    unsigned swap, impl, coid;
    uint32_t incarnation;
    const os::ImplementationSpec* spec;
    std::string object;
    uint64_t cycle;
  };
  std::map<uint64_t, Freed> freed_;  // rep -> its last free
  uint64_t judged_ = 0;
};

}  // namespace quiesce::hotswap
