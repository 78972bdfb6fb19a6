// stack_trace: Lee & Chang's quiescence by stack tracing. Nothing on the fast
// path. A swap stops every other CPU (a request each, answered at the CPU's
// next kernel entry, where it saves its registers and spins), then walks every
// thread's stack through its back chain — reading the descriptors and frames
// through the walker's caches — checking the pc, the link register and every
// saved return address against the old implementation's code. If a thread is
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
  StackTraceSwap(SwapContext& ctx, const StrategyInfo& strategy, const StrategyParams& params, unsigned id,
                 unsigned coid, unsigned to, std::string label);
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) override;
  std::string describe() const override;
  bool gave_up() const { return gave_up_; }

 protected:
  // While the world is stopped and the new object is in place (direct: patch the call sites).
  virtual void rebind(ppc::Hart&) {}
  // On each CPU as it resumes after a successful walk, the walker's included.
  virtual void resumed(ppc::Hart&) {}
  // Whether an interrupted thread at `pc` is part-way through a call sequence bound to the old object
  // (direct: inside one of its call sites, `this` perhaps half loaded).
  virtual bool in_call_site(uint64_t /*pc*/) const { return false; }

 private:
  enum class At : uint8_t { Acquire, Stop, Wait, Walk };
  os::SystemStep step(ppc::Hart& h, const os::Thread& t);
  bool inside(uint64_t addr) const;
  bool walk_thread(ppc::Hart& h, unsigned tid);  // true: inside the old object
  bool walk(ppc::Hart& h);
  void resume_all(ppc::Hart& h, bool swapped);
  void release_stop(ppc::Hart& h);

  const uint32_t step_cycles_, ipi_cycles_, walk_thread_cycles_, walk_frame_cycles_, max_retries_;
  const double retry_us_;
  const bool walk_frames_;
  const bool by_instance_;
  // The old code range holding `addr`, or null.
  const os::KernelFacts_if::CodeRange* old_range(uint64_t addr) const;
  // by_instance: whether the activation whose `this` is kept at `slot` (a frame's) works on this instance.
  bool on_this_instance(ppc::Hart& h, const os::KernelFacts_if::CodeRange& owner, uint64_t slot) const;
  At at_ = At::Acquire;
  unsigned stopped_ = 0, retries_ = 0;
  uint64_t stop_began_ = 0;
  bool gave_up_ = false;
  std::vector<unsigned> busy_;  // threads found inside at the last walk
};

}  // namespace quiesce::hotswap
