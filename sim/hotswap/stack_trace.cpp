#include "hotswap/stack_trace.h"

#include <algorithm>

#include <fmt/format.h>

#include "hotswap/quiescence_strategy.h"
#include "os_model/rep_layout.h"

namespace quiesce::hotswap {

using Step = os::SystemStep;

namespace {
constexpr unsigned kMaxFrames = 4096;
constexpr uint64_t kSpinCycles = 100;  // the walker's wait for the other CPUs to stop
}  // namespace

std::vector<std::string> stack_trace_phases() { return {"stop", "walk", "transfer", "complete"}; }

std::vector<StrategyParam> stack_trace_params() {
  return {
      {"worker_step_cycles", 60, 0, 1e6, "cycles", "the swap thread's bookkeeping each time it runs a step"},
      {"ipi_cycles", 300, 0, 1e6, "cycles", "the initiator's stop request to each other CPU"},
      {"walk_thread_cycles", 200, 0, 1e6, "cycles",
       "per thread walked (finding it, reading its saved registers), beyond the loads"},
      {"walk_frame_cycles", 30, 0, 1e6, "cycles",
       "per stack frame walked (comparing the return address with the code ranges), beyond the loads"},
      {"retry_us", 20, 0.001, 1e6, "us", "wait before walking again after a thread was found inside", false},
      {"max_retries", 50, 0, 1e6, "", "then the swap gives up (reported as not completed, with the thread found inside)"},
      {"by_instance", 0, 0, 1, "", "1: a thread in the old code counts only when it works on the instance being "
       "swapped (`this` from a generated body's frame, or r3 before its prologue; an activation with no frame counts "
       "whatever its instance), so a group's instances can each be swapped while others are in use; 0: Lee & Chang's "
       "check, by code range alone"},
      {"walk_frames", 1, 0, 1, "", "1: a walk checks every saved return address; 0: only each thread's pc and link "
       "register (unsafe: for ablations and the oracle's mutation test)"},
  };
}

StackTraceSwap::StackTraceSwap(SwapContext& ctx, const StrategyInfo& strategy, const StrategyParams& params,
                               unsigned id, unsigned coid, unsigned to, std::string label)
    : Swap(ctx, strategy, id, coid, to, std::move(label)),
      step_cycles_(params.u32("worker_step_cycles")),
      ipi_cycles_(params.u32("ipi_cycles")),
      walk_thread_cycles_(params.u32("walk_thread_cycles")),
      walk_frame_cycles_(params.u32("walk_frame_cycles")),
      max_retries_(params.u32("max_retries")),
      retry_us_(params.real("retry_us")),
      walk_frames_(params.u32("walk_frames") != 0),
      by_instance_(params.u32("by_instance") != 0) {}

void StackTraceSwap::start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) {
  launch(h, std::move(done), [this](ppc::Hart& hh, const os::Thread& t) { return step(hh, t); });
}

Step StackTraceSwap::step(ppc::Hart& h, const os::Thread& t) {
  auto& k = ctx_.k;
  const unsigned me = h.id();
  h.charge(step_cycles_);
  switch (at_) {
    case At::Acquire:
      if (!k.threads.claim_world(t.id)) return block(h, Activity::OtherCpus);  // another stop-the-world is on: woken after it
      at_ = At::Stop;
      return Step::Again;
    case At::Stop:
      record_phase(h.cycle(), me, kStop);
      note_old_reps();  // the walk looks for them in interrupted threads' registers
      stop_began_ = h.cycle();
      stopped_ = 0;
      for (unsigned c = 0; c < cpus_; ++c) {
        if (c == me) continue;
        h.charge(ipi_cycles_);
        k.threads.stop_cpu(c, [this, k](ppc::Hart& hc) {
          // The stop handler saves the running thread's registers in its descriptor.
          if (const os::Thread* cur = k.threads.current(hc.id()))
            os::host_touch(hc, cur->descriptor, k.facts.descriptor_bytes(), true, k.facts.line_bytes());
          ++stopped_;
        });
      }
      at_ = At::Wait;
      return Step::Again;
    case At::Wait:
      if (stopped_ + 1 < cpus_) {
        set_activity(me, h.cycle(), Activity::OtherCpus);
        h.charge(kSpinCycles);
        return Step::Again;
      }
      set_activity(me, h.cycle(), Activity::Mechanism);
      detail("stop_cycles") += h.cycle() - stop_began_;
      record_phase(h.cycle(), me, kWalk);
      at_ = At::Walk;
      [[fallthrough]];
    case At::Walk: {
      ++detail("walks");
      if (walk(h)) {
        resume_all(h, false);
        release_stop(h);
        if (++retries_ > max_retries_) {
          gave_up_ = true;
          record_phase(h.cycle(), me, kPhaseDone);
          give_up(h);
          return Step::Exit;
        }
        detail("retries") = retries_;
        at_ = At::Acquire;
        return sleep(h, t.id, us_to_cycles(retry_us_), Activity::Quiescence);
      }
      reach_safe_point(h);
      record_phase(h.cycle(), me, kTransfer);
      transfer_all(h);
      swing(h);
      rebind(h);
      record_phase(h.cycle(), me, kComplete);
      resume_all(h, true);
      resumed(h);
      release_stop(h);
      record_phase(h.cycle(), me, kPhaseDone);
      finish(h);
      return Step::Exit;
    }
  }
  return Step::Exit;
}

const os::KernelFacts_if::CodeRange* StackTraceSwap::old_range(uint64_t addr) const {
  for (const auto& r : ctx_.k.facts.code_ranges(old_impl_))
    if (addr >= r.start && addr < r.end) return &r;
  return nullptr;
}

bool StackTraceSwap::inside(uint64_t addr) const { return old_range(addr) != nullptr; }

bool StackTraceSwap::on_this_instance(ppc::Hart& h, const os::KernelFacts_if::CodeRange& owner, uint64_t slot) const {
  if (!owner.frame) return true;  // no frame keeps its `this`: whatever its instance
  return is_old_rep(h.memory().contains(slot, 8) ? os::host_load(h, slot) : 0);
}

// One thread: its registers from its descriptor, then its frames through the back chain.
bool StackTraceSwap::walk_thread(ppc::Hart& h, unsigned tid) {
  auto& k = ctx_.k;
  const os::Thread& t = k.threads.thread(tid);
  h.charge(walk_thread_cycles_);
  ++detail("threads_walked");
  os::host_load(h, t.descriptor);
  const ppc::ArchState& s = k.threads.registers(tid);
  if (!by_instance_) {
    if (inside(s.pc) || inside(s.lr)) return true;
  } else {
    // The current activation: `this` in its frame once its prologue ran, else in r3. A return address
    // still in LR belongs to the caller, whose frame is at r1 (or one up, once the callee pushed its own).
    if (const auto* m = old_range(s.pc)) {
      if (!m->frame) return true;
      if (s.pc >= m->start + os::kPrologueBytes ? on_this_instance(h, *m, s.gpr[1] + os::kThisSlot)
                                            : is_old_rep(s.gpr[3]))
        return true;
    }
    if (const auto* c = old_range(s.lr)) {
      const uint64_t up = h.memory().contains(s.gpr[1], 8) ? os::host_load(h, s.gpr[1]) : 0;
      if (on_this_instance(h, *c, s.gpr[1] + os::kThisSlot) || (up && on_this_instance(h, *c, up + os::kThisSlot)))
        return true;
    }
  }
  // Interrupted mid-code (a preemptive kernel), a thread may be half-way into a call: the old rep
  // loaded, or the old method's address in a register or CTR, the branch still to come.
  const bool interrupted = t.in_interrupt || t.preempted;
  if (interrupted) {
    if (inside(s.ctr) || in_call_site(s.pc)) return true;
    for (const uint64_t r : s.gpr)
      if (inside(r) || is_old_rep(r)) return true;
  }
  if (!walk_frames_) return false;
  auto& mem = h.memory();
  uint64_t frame = s.gpr[1];
  // Interrupted mid-code, a callee may have popped its frame and not yet returned (its epilogue): its
  // return address is then in the current frame's LR save word. (A thread stopped at a kernel entry is
  // never there; the word may be stale, which only costs a retry.)
  if (interrupted && mem.contains(frame, 24) && inside(os::host_load(h, frame + 16))) return true;
  for (unsigned n = 0; n < kMaxFrames && frame && mem.contains(frame, 24); ++n) {
    h.charge(walk_frame_cycles_);
    ++detail("frames_walked");
    const uint64_t caller = os::host_load(h, frame);  // the back chain
    if (!caller || !mem.contains(caller, 24)) break;
    // The return address the callee saved there, into the function whose frame this is.
    if (const auto* owner = old_range(os::host_load(h, caller + 16)))
      if (!by_instance_ || on_this_instance(h, *owner, caller + os::kThisSlot)) return true;
    frame = caller;
  }
  return false;
}

// Every live thread, the busy list first; the first found inside ends the walk.
bool StackTraceSwap::walk(ppc::Hart& h) {
  auto& k = ctx_.k;
  auto live = [&](unsigned id) {
    const os::Thread& t = k.threads.thread(id);
    return t.state != os::ThreadState::Free && !t.system;
  };
  for (unsigned id : busy_)
    if (live(id) && walk_thread(h, id)) return true;
  for (unsigned id = 0; id < k.threads.count(); ++id) {
    if (!live(id) || std::find(busy_.begin(), busy_.end(), id) != busy_.end()) continue;
    if (walk_thread(h, id)) {
      busy_.assign(1, id);
      return true;
    }
  }
  busy_.clear();
  return false;
}

void StackTraceSwap::resume_all(ppc::Hart& h, bool swapped) {
  for (unsigned c = 0; c < cpus_; ++c) {
    if (c == h.id()) continue;
    if (swapped) ctx_.k.threads.resume_cpu(c, [this](ppc::Hart& hc) { resumed(hc); });
    else ctx_.k.threads.resume_cpu(c, {});
  }
}

void StackTraceSwap::release_stop(ppc::Hart& h) {
  ctx_.k.threads.release_world(h);
}

std::string StackTraceSwap::describe() const {
  if (gave_up_)
    return fmt::format("swap {} of {} ({}): gave up after {} retries; thread {} was inside the old object", id_,
                       label_, strategy(), retries_, busy_.empty() ? -1 : static_cast<int>(busy_.front()));
  static const char* const kAt[] = {"waiting for another stop-the-world", "stopping the CPUs",
                                    "waiting for the CPUs to stop", "walking the stacks"};
  return fmt::format("swap {} of {} ({}): {}; {} of {} other CPUs stopped, {} retries", id_, label_, strategy(),
                     kAt[static_cast<unsigned>(at_)], stopped_, cpus_ - 1, retries_);
}

namespace {
class StackTrace final : public QuiescenceStrategy {
 public:
  StackTrace(const StrategyInfo& info, const StrategyParams& params) : QuiescenceStrategy(info), params_(params) {}
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override {
    return std::make_unique<StackTraceSwap>(*ctx_, info_, params_, id, coid, to, std::move(label));
  }

 private:
  StrategyParams params_;
};
}  // namespace

StrategyEntry stack_trace_strategy() {
  StrategyInfo i;
  i.name = "stack_trace";
  i.summary =
      "Lee & Chang's stack tracing: stop every other CPU (at its next kernel entry), walk every thread's stack for a return address in the old code; if one is inside, resume, wait retry_us and retry (busy list first) up to max_retries";
  i.safe = true;
  i.safety = "with every CPU stopped, no thread's pc, link register or saved return address lies in the old code (and, for a thread interrupted mid-code by a preemptive kernel, no register holds an old code address or an old rep: a call half made)";
  i.fast_path = "nothing";
  i.waits_for = "stack walks finding no thread inside";
  i.phases = stack_trace_phases();
  i.params = stack_trace_params();
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) {
            return std::make_unique<StackTrace>(info, p);
          }};
}

}  // namespace quiesce::hotswap
