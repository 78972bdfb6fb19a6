// stack_trace: Lee & Chang's quiescence by stack tracing. Nothing on the fast
// path. A swap stops every other CPU (a request each, answered at the CPU's
// next kernel entry, where it saves its thread's registers in its descriptor
// and spins), then walks every thread's stack through its back chain — guest
// code (stack_walk.h), so its cost is executed — checking the pc, the link
// register and every saved return address against the old implementation's
// code. The kernel's own view of every thread checks the walk's answer. If a thread is
// inside, the CPUs resume and the walk is retried after retry_us, checking the
// busy list (the threads found inside last time) first, up to max_retries.
// Otherwise, still stopped, the state moves and the root swings. One
// stop-the-world at a time.
#pragma once
#include <string>
#include <vector>

#include "hotswap/strategy_registry.h"
#include "hotswap/swap.h"

namespace quiesce::hotswap {

// What stack_trace and direct declare: their phases and parameters.
std::vector<std::string> stack_trace_phases();
std::vector<StrategyParam> stack_trace_params();

class StackTraceSwap : public Swap {
 public:
  enum : uint8_t { kStop, kWalk, kTransfer, kComplete };  // stack_trace_phases()
  // `walk_code`: the stack walk's routine in guest memory (install_stack_walk).
  StackTraceSwap(SwapContext& ctx, const StrategyInfo& strategy, const StrategyParams& params, unsigned id,
                 unsigned coid, unsigned to, std::string label, uint64_t walk_code);
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) override;
  std::string describe() const override;
  bool gave_up() const { return gave_up_; }

 protected:
  // While the world is stopped and the new object is in place (direct: patch the call sites).
  virtual void rebind(ppc::Hart&) {}
  // On each CPU as it resumes after a successful walk, the walker's included.
  virtual void resumed(ppc::Hart&) {}
  // The code ranges [start, end) where an interrupted thread is part-way through a call sequence bound
  // to the old object (direct: its call sites, `this` perhaps half loaded).
  virtual std::vector<std::pair<uint64_t, uint64_t>> call_sites() const { return {}; }

 private:
  enum class At : uint8_t { Acquire, Stop, Wait, Walk, Walked };
  os::SystemStep step(ppc::Hart& h, const os::Thread& t);
  // In a patch its safe point lasts only while the world is stopped: it stops the world once every other
  // member holds at its own, and is the joint point if its walk finds nothing inside.
  void others_arrived(ppc::Hart& h) override;
  void resume_joint(ppc::Hart& h) override { others_arrived(h); }
  os::SystemStep leave(ppc::Hart& h);  // given up (retries, or its patch)
  void prepare_walk(ppc::Hart& h);  // the walk's table in guest memory
  int walked(ppc::Hart& h);         // the walk's answer: the thread found inside, or -1
  // The kernel's view of the same walk (its record of every thread's registers, memory read untimed):
  // what the guest walk must find.
  int reference_walk() const;
  bool reference_inside(unsigned tid) const;  // the walk's rules (stack_walk.h: find_holder)
  void resume_all(ppc::Hart& h, bool swapped);
  void release_stop(ppc::Hart& h);  // the world, and the walker's CPU's interrupts as they were

  const uint32_t step_cycles_, max_retries_;
  const double retry_us_;
  const bool walk_frames_;
  const bool by_instance_;
  const bool ipi_;  // the stop request is an IPI even under run_to_completion
  const uint64_t walk_code_;
  uint64_t table_ = 0, reps_at_ = 0;
  size_t reps_room_ = 0;
  uint64_t peek(uint64_t addr) const;  // untimed, 0 outside guest memory
  At at_ = At::Acquire;
  unsigned stopped_ = 0, retries_ = 0;
  uint64_t stop_began_ = 0;
  bool gave_up_ = false;
  bool interrupts_were_on_ = false;  // on the walker's CPU, before its stop-the-world turned them off
  int busy_ = -1;  // the thread found inside at the last walk
  int tid_ = -1, waiting_others_ = 0;  // its thread; waiting for the other members of its patch
};

}  // namespace quiesce::hotswap
