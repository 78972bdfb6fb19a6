#include "hotswap/stack_trace.h"

#include <algorithm>

#include <fmt/format.h>

#include "hotswap/quiescence_strategy.h"
#include "hotswap/stack_walk.h"
#include "os_model/rep_layout.h"

namespace quiesce::hotswap {

using Step = os::SystemStep;

namespace {
constexpr uint64_t kSpinCycles = 100;  // the walker's wait for the other CPUs to stop
}  // namespace

std::vector<std::string> stack_trace_phases() { return {"stop", "walk", "transfer", "complete"}; }

std::vector<StrategyParam> stack_trace_params() {
  return {
      {"worker_step_cycles", 60, 0, 1e6, "cycles", "the swap thread's bookkeeping each time it runs a step"},
      {"retry_us", 20, 0.001, 1e6, "us", "wait before walking again after a thread was found inside", false},
      {"max_retries", 50, 0, 1e6, "", "then the swap gives up (reported as not completed, with the thread found inside)"},
      {"by_instance", 0, 0, 1, "", "1: a thread in the old code counts only when it works on the instance being "
       "swapped (`this` from a generated body's frame, or r3 before its prologue; an activation with no frame counts "
       "whatever its instance), so a group's instances can each be swapped while others are in use; 0: Lee & Chang's "
       "check, by code range alone"},
      {"walk_frames", 1, 0, 1, "", "1: a walk checks every saved return address; 0: only each thread's pc and link "
       "register (unsafe: for ablations and the oracle's mutation test)"},
      {"ipi", 0, 0, 1, "", "1: the stop request is an IPI, taken at once wherever interrupts are on, in the middle "
       "of a call too (smp_call_function-style; the CPUs then take interrupts under run_to_completion as well); 0: "
       "a stop_machine, whose per-CPU stopper thread runs at the CPU's next scheduling point: its next kernel entry "
       "under run_to_completion (a kernel that does not preempt kernel code), at once under preemptive (an IPI "
       "either way)"},
  };
}

StackTraceSwap::StackTraceSwap(SwapContext& ctx, const StrategyInfo& strategy, const StrategyParams& params,
                               unsigned id, unsigned coid, unsigned to, std::string label, uint64_t walk_code)
    : Swap(ctx, strategy, id, coid, to, std::move(label)),
      step_cycles_(params.u32("worker_step_cycles")),
      max_retries_(params.u32("max_retries")),
      retry_us_(params.real("retry_us")),
      walk_frames_(params.u32("walk_frames") != 0),
      by_instance_(params.u32("by_instance") != 0),
      ipi_(params.u32("ipi") != 0),
      walk_code_(walk_code) {}

void StackTraceSwap::start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) {
  launch(h, std::move(done), [this](ppc::Hart& hh, const os::Thread& t) { return step(hh, t); });
}

Step StackTraceSwap::step(ppc::Hart& h, const os::Thread& t) {
  auto& k = ctx_.k;
  const unsigned me = h.id();
  h.charge(step_cycles_);
  tid_ = static_cast<int>(t.id);
  switch (at_) {
    case At::Acquire:
      if (joint_ == Joint::Aborted) return leave(h);
      if (patch_ && !patch_->others_ready(*this)) {
        waiting_others_ = 1;  // woken when they are (others_arrived), or when the patch gives up
        return block(h, Activity::Quiescence);
      }
      waiting_others_ = 0;
      if (!k.threads.claim_world(t.id)) return block(h, Activity::OtherCpus);  // another stop-the-world is on: woken after it
      at_ = At::Stop;
      return Step::Again;
    case At::Stop:
      record_phase(h.cycle(), me, kStop);
      // Interrupts off on the walker's own CPU until the world is released: nothing else runs here,
      // not even at a preemptive kernel's timer (Lee & Chang walk with preemption and interrupts off).
      interrupts_were_on_ = h.set_interrupts(false);
      note_old_reps();  // the walk looks for them in interrupted threads' registers
      stop_began_ = h.cycle();
      stopped_ = 0;
      for (unsigned c = 0; c < cpus_; ++c) {
        if (c == me) continue;
        k.threads.stop_cpu(h, c, ipi_, [this, k](ppc::Hart& hc) {
          // The stop handler saves the running thread's registers in its descriptor, where the walk reads them.
          if (const os::Thread* cur = k.threads.current(hc.id())) k.threads.save_registers(hc, cur->id);
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
    case At::Walk:
      ++detail("walks");
      prepare_walk(h);
      k.threads.call_routine(h, walk_code_, table_);
      at_ = At::Walked;
      return Step::Again;
    case At::Walked: {
      const int found = walked(h);
      if (found >= 0 || joint_ == Joint::Aborted) {
        busy_ = found;
        resume_all(h, false);
        release_stop(h);
        if (joint_ == Joint::Aborted) return leave(h);
        if (++retries_ > max_retries_) {
          gave_up_ = true;
          return leave(h);
        }
        detail("retries") = retries_;
        at_ = At::Acquire;
        return sleep(h, t.id, us_to_cycles(retry_us_), Activity::Quiescence);
      }
      busy_ = -1;
      if (!arrive_joint(h)) {  // another member is not at its safe point any more: the world goes on, and it waits
        leave_joint();
        resume_all(h, false);
        release_stop(h);
        ++detail("patch_rewalks");
        at_ = At::Acquire;
        return Step::Again;
      }
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

// The walk's table: the old code ranges, call sites and descriptor arrays once, the old reps and the
// busy thread each walk; written through the walker's caches.
void StackTraceSwap::prepare_walk(ppc::Hart& h) {
  auto& k = ctx_.k;
  using T = WalkTable;
  if (!table_) {
    const auto& ranges = k.facts.code_ranges(old_impl_);
    const auto sites = call_sites();
    const auto lists = k.facts.task_lists();
    table_ = work_block(h, fmt::format("swap{}.walk_table", id_), T::kBytes);
    const uint64_t r = work_block(h, fmt::format("swap{}.walk_ranges", id_), T::kRangeBytes * (ranges.size() + 1));
    const uint64_t si = work_block(h, fmt::format("swap{}.walk_sites", id_), T::kSiteBytes * (sites.size() + 1));
    const uint64_t cp = work_block(h, fmt::format("swap{}.walk_cpus", id_), 8 * lists.size());
    for (size_t i = 0; i < ranges.size(); ++i) {
      os::host_store(h, r + T::kRangeBytes * i, ranges[i].start);
      os::host_store(h, r + T::kRangeBytes * i + 8, ranges[i].end);
      os::host_store(h, r + T::kRangeBytes * i + 16, ranges[i].frame ? 1 : 0);
    }
    for (size_t i = 0; i < sites.size(); ++i) {
      os::host_store(h, si + T::kSiteBytes * i, sites[i].first);
      os::host_store(h, si + T::kSiteBytes * i + 8, sites[i].second);
    }
    for (size_t i = 0; i < lists.size(); ++i) os::host_store(h, cp + 8 * i, lists[i]);
    const std::pair<unsigned, uint64_t> words[] = {
        {T::kRanges, ranges.size()}, {T::kRangesPtr, r},  {T::kSites, sites.size()},
        {T::kSitesPtr, si},          {T::kCpus, lists.size()}, {T::kCpusPtr, cp},
        {T::kFlags, (walk_frames_ ? T::kWalkFrames : 0) | (by_instance_ ? T::kByInstance : 0)}};
    for (const auto& [at, v] : words) os::host_store(h, table_ + at, v);
  }
  // The old reps as they are now, every other CPU stopped: one may have made its rep of the old object
  // (a first call on that CPU) after the stop was requested.
  note_old_reps();
  if (old_reps_.size() > reps_room_) {
    reps_room_ = std::max<size_t>(old_reps_.size(), 2 * reps_room_);
    reps_at_ = work_block(h, fmt::format("swap{}.walk_reps", id_), 8 * reps_room_);
    os::host_store(h, table_ + T::kRepsPtr, reps_at_);
  }
  for (size_t i = 0; i < old_reps_.size(); ++i) os::host_store(h, reps_at_ + 8 * i, old_reps_[i]);
  os::host_store(h, table_ + T::kReps, old_reps_.size());
  os::host_store(h, table_ + T::kFirst, busy_ >= 0 ? k.threads.thread(static_cast<unsigned>(busy_)).descriptor : 0);
}

int StackTraceSwap::walked(ppc::Hart& h) {
  auto& k = ctx_.k;
  const uint64_t desc = h.state().gpr[3];
  detail("threads_walked") += peek(table_ + WalkTable::kThreadsWalked);
  detail("frames_walked") += peek(table_ + WalkTable::kFramesWalked);
  int found = -1;
  for (unsigned id = 0; desc && id < k.threads.count() && found < 0; ++id)
    if (k.threads.thread(id).descriptor == desc) found = static_cast<int>(id);
  // The walk goes in task-list order: it must find a thread inside exactly when the kernel's view finds
  // one, and the one it found must be inside.
  const int expected = reference_walk();
  if ((expected < 0) != (found < 0) || (desc && found < 0) || (found >= 0 && !reference_inside(static_cast<unsigned>(found))))
    k.hooks.stop_run(fmt::format("swap {} of {}: the stack walk found thread {} inside, the kernel's view of the "
                                 "threads says {} (-1: none; a simulator bug)", id_, label_, found, expected));
  return found;
}

uint64_t StackTraceSwap::peek(uint64_t addr) const {
  auto& m = ctx_.k.facts.memory();
  return m.contains(addr, 8) ? m.load<uint64_t>(addr) : 0;
}

bool StackTraceSwap::reference_inside(unsigned tid) const {
  WalkRules r{&ctx_.k, &ctx_.k.facts.code_ranges(old_impl_), &old_reps_, call_sites(), by_instance_, walk_frames_};
  return find_holder(r, tid).has_value();
}

// Every live thread, the busy one first: the first found inside, or -1.
int StackTraceSwap::reference_walk() const {
  auto& k = ctx_.k;
  auto live = [&](unsigned id) {
    const os::Thread& t = k.threads.thread(id);
    return t.state != os::ThreadState::Free && !t.system;
  };
  if (busy_ >= 0 && live(static_cast<unsigned>(busy_)) && reference_inside(static_cast<unsigned>(busy_))) return busy_;
  for (unsigned id = 0; id < k.threads.count(); ++id)
    if (live(id) && reference_inside(id)) return static_cast<int>(id);
  return -1;
}

Step StackTraceSwap::leave(ppc::Hart& h) {
  record_phase(h.cycle(), h.id(), kPhaseDone);
  give_up(h);
  return Step::Exit;
}

void StackTraceSwap::others_arrived(ppc::Hart& h) {
  if (!waiting_others_ || tid_ < 0) return;
  waiting_others_ = 0;
  ctx_.k.threads.wake(static_cast<unsigned>(tid_), h.cycle());
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
  if (interrupts_were_on_) h.set_interrupts(true);
}

std::string StackTraceSwap::describe() const {
  if (gave_up_)
    return fmt::format("swap {} of {} ({}): gave up after {} retries; thread {} was inside the old object", id_,
                       label_, strategy(), retries_, busy_);
  static const char* const kAt[] = {"waiting for another stop-the-world", "stopping the CPUs",
                                    "waiting for the CPUs to stop", "walking the stacks", "walking the stacks"};
  return fmt::format("swap {} of {} ({}): {}; {} of {} other CPUs stopped, {} retries", id_, label_, strategy(),
                     kAt[static_cast<unsigned>(at_)], stopped_, cpus_ - 1, retries_);
}

namespace {
class StackTrace final : public QuiescenceStrategy {
 public:
  StackTrace(const StrategyInfo& info, const StrategyParams& params) : QuiescenceStrategy(info), params_(params) {}
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override {
    if (!walk_code_) walk_code_ = install_stack_walk(ctx_->k.objects.heap());
    return std::make_unique<StackTraceSwap>(*ctx_, info_, params_, id, coid, to, std::move(label), walk_code_);
  }

 private:
  StrategyParams params_;
  uint64_t walk_code_ = 0;
};
}  // namespace

StrategyEntry stack_trace_strategy() {
  StrategyInfo i;
  i.name = "stack_trace";
  i.summary =
      "Lee & Chang's stack tracing: stop every other CPU (each acknowledges with interrupts off), walk every thread's stack for a return address in the old code; if one is inside, resume, wait retry_us and retry (busy list first) up to max_retries";
  i.safe = true;
  i.joins_patches = true;
  i.in_patch = "last: its safe point lasts only while the world is stopped, so it stops the world once every other part holds at its own; a walk that finds nothing inside is the joint point. One such part per patch; its object may not call another part's (the thread would be held there, inside it). max_retries gives the whole patch up";
  i.safety = "with every CPU stopped, no thread's pc, link register or saved return address lies in the old code (and, for a thread interrupted mid-code by a preemptive kernel, no register holds an old code address or an old rep: a call half made)";
  i.fast_path = "nothing";
  i.waits_for = "stack walks finding no thread inside";
  i.reclaim = Reclaim::AtEnd;
  i.reclaim_rule =
      "at the swap's end: the last stack walk found no thread whose stack, registers or saved LR holds the old object";
  i.phases = stack_trace_phases();
  i.params = stack_trace_params();
  i.stops_world = true;
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) {
            return std::make_unique<StackTrace>(info, p);
          }};
}

}  // namespace quiesce::hotswap
