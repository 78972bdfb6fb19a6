// livepatch: Linux's per-task consistency model (kernel/livepatch/transition.c) on quiesce's threads.
//
// Patch state. Every thread has one: a word in its descriptor (os::kDescPatch, Linux's
// task_struct::patch_state), read by guest code through the caches. Transitions have ids that only grow
// (1, 2, ... per run); a thread is patched for transition k when its word is at least k: switching it
// stores k, switching it back stores k - 1. A word left by an earlier transition, or by the slot's
// previous thread, reads as unpatched for a later one, so nothing is reset between transitions, and a
// thread that later transitions switch stays patched for every earlier, completed, one (a thread may be
// on its way into an earlier transition's trampoline, its address loaded before that transition ended).
// A thread whose word is not the transition's target is "patch pending" (Linux sets TIF_PATCH_PENDING on
// every task at the start; here the comparison is the flag).
//
// Calls by patch state. During a transition both implementations are live. The object's rep keeps its
// state, and its vtable pointer is set to a transition vtable whose entries are trampolines, one per
// method (Linux's klp_ftrace_handler at the patched function's entry): each reads the calling thread's
// word (its descriptor from SPRG3, os::kSprgCurrentDescriptor) and the transition's threshold word (its
// id; all ones once the transition was reversed and ended, so that a late arrival takes the old method)
// and branches to the old or the new method with `this`, LR and the arguments untouched. Under a preemptive kernel the read and the
// choice run with MSR[EE] off (the ftrace handler runs with preemption off); the branch target is in
// CTR before EE is back on, where the stack check sees it. The fast path costs nothing outside a
// transition; during one every call of the object pays its trampoline, and every request-loop
// kernel entry the boundary check.
//
// State: one state, by reference. A live patch changes code, not data: old and new code run on the
// same rep, concurrently, for the whole transition, so the strategy requires the two implementations
// to negotiate by_reference (the same layout; constraint by_reference, enforced by the scenario
// reader). State a new version would add has no place here: in Linux it goes into shadow variables
// (klp_shadow_alloc: data attached to an existing object by address and id, allocated by new code
// on demand); the counterpart is an update whose new implementation keeps its extra state elsewhere
// (another object), or a swap by another strategy with a transform. At completion the rep is adopted
// by the new implementation (its vtable word becomes the new vtable) and the old implementation is
// retired: the safety oracle watches it from then on (a forced thread still inside it is caught).
//
// The transition. Each CPU runs a worker (a system thread; the event's CPU's worker also coordinates).
// In each round every worker checks its own CPU's threads that are still pending: while it runs with
// its interrupts off, none of them can run (Linux checks a task under its run-queue lock,
// task_call_func), so each is asleep, and its stack is checked by the guest stack walk (stack_walk.h,
// its cycles executed; an interrupted or preempted thread by stack_trace's mid-code rules: an old code
// address in CTR or any register, or the rep, or the old code in its frame's LR save word, counts as
// inside). A clean thread is switched (its word stored through the worker's caches). A running thread
// switches itself at its next kernel boundary: the request loop's kernel entry between two calls
// (Linux's klp_update_patch_state on exit to user space), where by construction it holds no frame of
// the object; a new thread passes one before its first call. After a round with threads pending the
// coordinator retries after retry_us (Linux: one second) until none is left, then completes.
// With max_retries > 0 it reverses after that many retries (Linux's klp_reverse_transition): the
// target becomes unpatched, threads switch back under the same rules (stacks checked against the new
// code), and the swap gives up once every thread is back, the old implementation in place. With
// force (Linux's /sys/kernel/livepatch/<patch>/force, klp_force_transition) every pending thread is
// switched regardless once the transition is force_after_us old: unsafe by design.
//
// Reports: every switch (thread, name, CPU, cycle, how: asleep, kernel boundary, forced) and every
// stall (what held the thread: pc, LR, a saved return address, CTR or a register, in which old method)
// are tables in the swap's details; describe() names the threads still pending.
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cpu_ppc64/assembler.h"
#include "cpu_ppc64/encoder.h"
#include "hotswap/quiescence_strategy.h"
#include "hotswap/stack_walk.h"
#include "os_model/thread_descriptor.h"

namespace quiesce::hotswap {

namespace {
namespace enc = ppc::enc;
using Step = os::SystemStep;

constexpr size_t kMaxSwitchRows = 1024;  // switches listed in the details (all are counted)

class Livepatch;

class LivepatchSwap final : public Swap {
 public:
  enum : uint8_t { kTransition, kComplete };  // the registry's phases (a reversed transition stays in the first)
  LivepatchSwap(Livepatch& s, SwapContext& ctx, const StrategyParams& p, unsigned id, unsigned coid, unsigned to,
                std::string label);
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) override;
  std::string describe() const override;
  unsigned workers() const override { return spawned_; }
  void acquired(uint64_t transition) { transition_ = transition; }

 private:
  enum class At : uint8_t { Acquire, Begin, Pass, Wait, Retry, Lock };
  struct Pass {  // one CPU's worker and its round over the CPU's threads
    std::vector<unsigned> todo;
    size_t next = 0;
    unsigned round = 0, pending = 0;
    bool started = false, done = false, in_check = false, interrupts_were_on = false;
    uint64_t table = 0;
    unsigned checked = 0;  // the thread whose stack the walk is checking
  };
  struct Stall {
    unsigned cpu = 0, frame = 0, seen = 0;
    std::string name, where, method;
    uint64_t addr = 0, first = 0, last = 0, switched = 0;
    size_t row = 0;
  };
  Step coordinate(ppc::Hart& h, const os::Thread& t);
  Step work(ppc::Hart& h, const os::Thread& t);
  void begin(ppc::Hart& h);
  void install_trampolines(ppc::Hart& h);
  void start_round(ppc::Hart& h);
  void begin_pass(ppc::Hart& h);
  bool pass_step(ppc::Hart& h);  // one step of this CPU's pass: false once it is over
  void pass_done(ppc::Hart& h);
  // A CPU whose worker has not begun this round's pass (its CPU busy: a run-to-completion thread that
  // never blocks) needs none if every thread of it has switched already (a switched thread stays so; Linux
  // skips a task already in the target state without taking its run-queue lock). Looked at from the
  // coordinator's CPU every retry_us while it waits.
  void watch_behind(ppc::Hart& h, unsigned round);
  void settle_behind(ppc::Hart& h, unsigned round);
  // Ids only grow: a word at or above this transition's id is patched for it (and stays patched for every
  // earlier, completed, transition as later ones switch the thread); switching back stores id - 1.
  bool patched(uint64_t word) const { return word >= transition_; }
  uint64_t target_word() const { return target_ ? transition_ : transition_ - 1; }
  bool pending(ppc::Hart& h, const os::Thread& t) {
    return patched(os::host_load(h, t.descriptor + os::kDescPatch)) != target_;
  }
  void switch_thread(ppc::Hart& h, const os::Thread& t, const char* how);
  void note_stall(uint64_t now, const os::Thread& t, const Holder& at);
  void stall_row(const Stall& st, unsigned tid);
  void boundary(ppc::Hart& h);
  void routed(ppc::Hart& h, const os::Thread* t, bool to_new);
  void force(ppc::Hart& h);
  void reverse(ppc::Hart& h);
  // Hooks and watches gone, the next transition may begin, the workers leave (completing, or not).
  void end(ppc::Hart& h, bool completed);
  std::string method_at(uint64_t addr) const;
  const std::vector<os::KernelFacts_if::CodeRange>& ranges() const {
    return ctx_.k.facts.code_ranges(target_ ? old_impl_ : new_impl_);
  }
  bool live(const os::Thread& t) const { return t.state != os::ThreadState::Free && !t.system; }

  Livepatch& s_;
  const uint32_t step_cycles_, max_retries_;
  const double retry_us_, force_after_us_;
  const bool force_;
  At at_ = At::Acquire;
  unsigned home_ = 0, spawned_ = 0, round_ = 0, retries_ = 0, done_ = 0, coordinator_ = 0;
  uint64_t transition_ = 0;  // this transition's id: the patched threads' word
  bool target_ = true;       // the state threads switch to: patched (unpatched once reversed)
  bool waiting_ = false;     // the coordinator waits for the workers' passes
  bool over_ = false, completed_ = false;
  uint64_t began_ = 0;
  uint64_t ranges_at_[2] = {0, 0}, reps_at_ = 0;
  uint64_t threshold_ = 0;  // the trampolines' threshold word: the id, or ~0 once reversed (old code for good)
  std::vector<Pass> pass_;
  std::vector<unsigned> worker_tid_;
  std::map<unsigned, Stall> stalls_;  // by thread id
  os::SwapHooks_if::HookId hook_ = 0;
  std::vector<os::SwapHooks_if::WatchId> watches_;
};

class Livepatch final : public QuiescenceStrategy {
 public:
  Livepatch(const StrategyInfo& info, const StrategyParams& p) : QuiescenceStrategy(info), params_(p) {}
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override {
    if (!walk_code_) walk_code_ = install_stack_walk(ctx_->k.objects.heap());
    return std::make_unique<LivepatchSwap>(*this, *ctx_, params_, id, coid, to, std::move(label));
  }
  uint64_t walk_code() const { return walk_code_; }
  // One transition at a time in the run (as Linux's klp_transition_patch), whatever livepatch-like
  // strategy begins it (a test twin too: the threads' patch word is one): the id of the one begun, or 0
  // when another is under way (thread `tid` is woken when its turn comes, with its id set).
  uint64_t claim(LivepatchSwap* s, unsigned tid) {
    PatchTransitions& x = ctx_->transitions;
    if (x.active) {
      x.waiting.push_back({s, tid});
      return 0;
    }
    x.active = s;
    return ++x.count;
  }
  void release(ppc::Hart& h) {
    PatchTransitions& x = ctx_->transitions;
    x.active = nullptr;
    if (x.waiting.empty()) return;
    const auto [next, tid] = x.waiting.front();
    x.waiting.erase(x.waiting.begin());
    x.active = next;
    static_cast<LivepatchSwap*>(next)->acquired(++x.count);  // (only livepatch.cpp's swaps wait here)
    ctx_->k.threads.wake(tid, h.cycle());
  }

 private:
  StrategyParams params_;
  uint64_t walk_code_ = 0;
};

LivepatchSwap::LivepatchSwap(Livepatch& s, SwapContext& ctx, const StrategyParams& p, unsigned id, unsigned coid,
                             unsigned to, std::string label)
    : Swap(ctx, s.info(), id, coid, to, std::move(label)),
      s_(s),
      step_cycles_(p.u32("worker_step_cycles")),
      max_retries_(p.u32("max_retries")),
      retry_us_(p.real("retry_us")),
      force_after_us_(p.real("force_after_us")),
      force_(p.u32("force") != 0),
      pass_(cpus_),
      worker_tid_(cpus_, 0) {}

void LivepatchSwap::start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) {
  home_ = h.id();
  spawned_ = 1;
  launch(h, std::move(done), [this](ppc::Hart& hh, const os::Thread& t) { return coordinate(hh, t); });
}

Step LivepatchSwap::coordinate(ppc::Hart& h, const os::Thread& t) {
  h.charge(step_cycles_);
  switch (at_) {
    case At::Acquire:
      worker_tid_[home_] = coordinator_ = t.id;
      at_ = At::Begin;
      if (!(transition_ = s_.claim(this, t.id))) return block(h, Activity::OtherCpus);  // woken with its id
      [[fallthrough]];
    case At::Begin:
      begin(h);
      [[fallthrough]];
    case At::Retry:
      start_round(h);
      at_ = At::Pass;
      return Step::Again;
    case At::Pass:
      if (pass_step(h)) return Step::Again;
      pass_done(h);
      at_ = At::Wait;
      [[fallthrough]];
    case At::Wait: {
      if (done_ < spawned_) {
        waiting_ = true;
        watch_behind(h, round_);
        return block(h, Activity::OtherCpus);  // the last worker to finish its pass wakes it (or watch_behind)
      }
      waiting_ = false;
      unsigned left = 0;
      for (const Pass& p : pass_) left += p.pending;
      if (left == 0) {
        at_ = At::Lock;
        return Step::Again;
      }
      if (force_ && target_ && h.cycle() - began_ >= us_to_cycles(force_after_us_)) {
        force(h);
        at_ = At::Lock;
        return Step::Again;
      }
      if (target_ && max_retries_ && retries_ >= max_retries_) reverse(h);
      detail("retries") = ++retries_;
      at_ = At::Retry;
      return sleep(h, t.id, us_to_cycles(retry_us_), Activity::Quiescence);
    }
    case At::Lock:
      if (!target_) {  // reversed, every thread back: the old implementation stays
        os::host_store(h, old_reps_.front(), ctx_.k.objects.vtable(old_impl_));
        // A thread still on its way into a trampoline (its address loaded before the vtable word was put
        // back) must find the old method, whatever its word becomes in later transitions.
        os::host_store(h, threshold_, ~uint64_t{0});
        // The new implementation is retired from the rep again: the oracle watches it (reclaimed at begin).
        ctx_.oracle.hand_over(ctx_.k, id_, coid_, new_impl_, old_impl_, true, ctx_.impls[new_impl_], old_reps_,
                              label_, h.cycle());
        end(h, false);
        record_phase(h.cycle(), home_, kPhaseDone);
        give_up(h);
        return Step::Exit;
      }
      if (!lock_root(h)) return Step::Again;  // a miss in progress on another CPU
      reach_safe_point(h);
      record_phase(h.cycle(), home_, kComplete);
      transfer_all(h);  // by reference: the rep's vtable word becomes the new vtable (the trampolines out)
      swing(h);         // the old implementation is retired: the oracle watches it from now on
      ctx_.k.objects.unlock_root(h, coid_);
      end(h, true);
      record_phase(h.cycle(), home_, kPhaseDone);
      finish(h);
      return Step::Exit;
  }
  return Step::Exit;
}

// A worker on a CPU other than the coordinator's: a pass per round, woken for each.
Step LivepatchSwap::work(ppc::Hart& h, const os::Thread& t) {
  const unsigned me = h.id();
  h.charge(step_cycles_);
  Pass& p = pass_[me];
  if (over_) {
    if (completed_) record_phase(h.cycle(), me, kComplete);  // the new implementation is this CPU's too
    record_phase(h.cycle(), me, kPhaseDone);
    return Step::Exit;
  }
  if (!p.started) {
    worker_tid_[me] = t.id;
    p.started = true;
    record_phase(h.cycle(), me, kTransition);
  }
  if (p.round != round_) begin_pass(h);
  if (!p.done) {
    if (pass_step(h)) return Step::Again;
    pass_done(h);
  }
  return block(h, Activity::Quiescence);  // until the next round, or the end
}

void LivepatchSwap::begin(ppc::Hart& h) {
  auto& k = ctx_.k;
  auto& heap = k.objects.heap();
  began_ = h.cycle();
  record_phase(h.cycle(), home_, kTransition);
  for (const char* d : {"pending", "retries", "threads_stalled", "stack_checks", "frames_walked", "switched_asleep",
                        "switched_at_boundary", "forced", "interrupted_inside", "calls_old_unpatched",
                        "calls_new_patched", "calls_old_patched", "calls_new_unpatched", "reversed",
                        "switch_rows_dropped", "passes_not_needed"})
    detail(d) = 0;
  table("switches");
  table("stalls");
  note_old_reps();
  if (old_reps_.empty()) note_old_rep(k.objects.root(coid_).rep_for(0, heap));  // never called yet: made now
  // The walk's lists: the old and the new code (a reversed transition checks stacks against the new), the rep.
  for (const unsigned impl : {old_impl_, new_impl_}) {
    const auto& rs = k.facts.code_ranges(impl);
    const uint64_t at = work_block(h, fmt::format("swap{}.livepatch.ranges{}", id_, impl == old_impl_ ? 0 : 1),
                                   WalkTable::kRangeBytes * (rs.size() + 1));
    for (size_t i = 0; i < rs.size(); ++i) {
      os::host_store(h, at + WalkTable::kRangeBytes * i, rs[i].start);
      os::host_store(h, at + WalkTable::kRangeBytes * i + 8, rs[i].end);
      os::host_store(h, at + WalkTable::kRangeBytes * i + 16, rs[i].frame ? 1 : 0);
    }
    ranges_at_[impl == old_impl_ ? 0 : 1] = at;
  }
  reps_at_ = work_block(h, fmt::format("swap{}.livepatch.reps", id_), 8 * old_reps_.size());
  for (size_t i = 0; i < old_reps_.size(); ++i) os::host_store(h, reps_at_ + 8 * i, old_reps_[i]);
  ctx_.oracle.reclaim(new_impl_, old_reps_);  // the new code runs on the rep from now on (a swap back, say)
  install_trampolines(h);
  hook_ = k.hooks.add_entry_hook([this](ppc::Hart& hh) { boundary(hh); });
  // Which implementation each call reaches, by the caller's state (observers: no simulated time).
  const uint64_t vo = k.objects.vtable(old_impl_), vn = k.objects.vtable(new_impl_);
  for (size_t m = 0; m < ctx_.impls[old_impl_].methods.size(); ++m) {
    const uint64_t eo = h.memory().load<uint64_t>(vo + 8 * m), en = h.memory().load<uint64_t>(vn + 8 * m);
    if (eo == en) continue;  // one function named by both: no telling
    watches_.push_back(k.hooks.watch_code(eo, eo + 4, [this](ppc::Hart& hh, const os::Thread* t, uint64_t) {
      routed(hh, t, false);
    }));
    watches_.push_back(k.hooks.watch_code(en, en + 4, [this](ppc::Hart& hh, const os::Thread* t, uint64_t) {
      routed(hh, t, true);
    }));
  }
}

// The transition vtable: per method a trampoline that reads the calling thread's patch word and branches
// to the old or the new method; then the rep's vtable word points at it (the patch's one store). These
// and the threshold word stay when the swap ends (not work blocks): a thread may have loaded the rep's
// vtable word before the final store and reach a trampoline after it, as a Linux patch's code stays.
void LivepatchSwap::install_trampolines(ppc::Hart& h) {
  auto& k = ctx_.k;
  const size_t n = ctx_.impls[old_impl_].methods.size();
  const bool eoff = k.facts.preemptive();
  threshold_ = k.objects.heap().allocate(fmt::format("swap{}.livepatch.threshold", id_), 8);
  os::host_store(h, threshold_, transition_);
  std::vector<uint32_t> code;
  std::vector<uint64_t> offsets;
  auto lo = [](uint64_t a) { return static_cast<uint32_t>(a & 0xffff); };
  for (size_t m = 0; m < n; ++m) {
    const uint64_t old_entry = h.memory().load<uint64_t>(k.objects.vtable(old_impl_) + 8 * m);
    const uint64_t new_entry = h.memory().load<uint64_t>(k.objects.vtable(new_impl_) + 8 * m);
    if (old_entry >= (uint64_t{1} << 31) || new_entry >= (uint64_t{1} << 31) || threshold_ >= (uint64_t{1} << 31)) {
      k.hooks.stop_run(fmt::format("swap {} of {} (livepatch): a method or the threshold word lies above 2 GiB "
                                   "(its trampoline addresses them with lis/ori)", id_, label_));
      return;
    }
    enc::Assembler a;
    const enc::Label go = a.label("go");
    if (eoff)  // MSR to r0, EE off: nothing between reading the state and loading CTR
      for (uint32_t w : {enc::mfmsr(0), enc::li(11, 0), enc::mtmsrd(11, 1)}) a.put(w);
    a.put(enc::mfsprg(11, os::kSprgCurrentDescriptor));
    a.put(enc::ld(11, os::kDescPatch, 11));
    a.put(enc::lis(12, static_cast<int64_t>(threshold_ >> 16)));
    a.put(enc::ori(12, 12, lo(threshold_)));
    a.put(enc::ld(12, 0, 12));
    a.put(enc::cmpld(0, 11, 12));
    a.put(enc::lis(12, static_cast<int64_t>(old_entry >> 16)));
    a.put(enc::ori(12, 12, lo(old_entry)));
    a.blt(0, go);
    a.put(enc::lis(12, static_cast<int64_t>(new_entry >> 16)));
    a.put(enc::ori(12, 12, lo(new_entry)));
    a.bind(go);
    a.put(enc::mtctr(12));
    if (eoff) a.put(enc::mtmsrd(0, 1));
    a.put(enc::bctr());
    offsets.push_back(4 * code.size());
    const auto words = a.take();
    code.insert(code.end(), words.begin(), words.end());
  }
  auto& heap = k.objects.heap();
  const uint64_t at = heap.allocate(fmt::format("swap{}.livepatch.trampolines", id_), 4 * code.size());
  for (size_t i = 0; i < code.size(); ++i) heap.memory().store<uint32_t>(at + 4 * i, code[i]);
  const uint64_t vtable = heap.allocate(fmt::format("swap{}.livepatch.vtable", id_), 8 * n);
  for (size_t m = 0; m < n; ++m) os::host_store(h, vtable + 8 * m, at + offsets[m]);
  for (const uint64_t rep : old_reps_) os::host_store(h, rep, vtable);
  detail("trampoline_instructions") = code.size() / std::max<size_t>(1, n);
}

// A round: every CPU's worker checks its CPU's pending threads (the coordinator its own CPU's).
void LivepatchSwap::start_round(ppc::Hart& h) {
  auto& k = ctx_.k;
  ++round_;
  done_ = 0;
  if (round_ == 1) {
    spawned_ = cpus_;
    for (unsigned c = 0; c < cpus_; ++c) {
      if (c == home_) continue;
      rec_[c].worker = true;
      spawn(h, c, fmt::format("swap {} livepatch cpu{}", id_, c),
            [this](ppc::Hart& hh, const os::Thread& t) { return work(hh, t); });
    }
  } else {
    for (unsigned c = 0; c < cpus_; ++c)
      if (c != home_) k.threads.wake(worker_tid_[c], h.cycle());
  }
  begin_pass(h);
}

void LivepatchSwap::begin_pass(ppc::Hart& h) {
  auto& k = ctx_.k;
  const unsigned me = h.id();
  Pass& p = pass_[me];
  p.round = round_;
  p.done = false;
  p.pending = 0;
  p.next = 0;
  p.todo.clear();
  for (unsigned id = 0; id < k.threads.count(); ++id)
    if (const os::Thread& t = k.threads.thread(id); live(t) && t.cpu == me) p.todo.push_back(id);
  using T = WalkTable;
  if (!p.table) {
    p.table = work_block(h, fmt::format("swap{}.livepatch.walk.cpu{}", id_, me), T::kBytes);
    const std::pair<unsigned, uint64_t> words[] = {{T::kReps, old_reps_.size()}, {T::kRepsPtr, reps_at_},
                                                   {T::kSites, 0}, {T::kSitesPtr, 0}, {T::kCpus, 0},
                                                   {T::kCpusPtr, 0}, {T::kFlags, T::kWalkFrames}};
    for (const auto& [at, v] : words) os::host_store(h, p.table + at, v);
  }
  // The code a thread must not be in: the old, or the new once reversed.
  os::host_store(h, p.table + T::kRanges, ranges().size());
  os::host_store(h, p.table + T::kRangesPtr, ranges_at_[target_ ? 0 : 1]);
}

bool LivepatchSwap::pass_step(ppc::Hart& h) {
  auto& k = ctx_.k;
  const unsigned me = h.id();
  Pass& p = pass_[me];
  if (p.in_check) {  // the walk's answer: the descriptor found inside, or 0
    p.in_check = false;
    const uint64_t found = h.state().gpr[3];
    const os::Thread& t = k.threads.thread(p.checked);
    ++detail("stack_checks");
    detail("frames_walked") += h.memory().load<uint64_t>(p.table + WalkTable::kFramesWalked);
    const WalkRules rules{&k, &ranges(), &old_reps_, {}, false, true};
    const auto held = find_holder(rules, t.id);
    if ((found != 0) != held.has_value() || (found && found != t.descriptor))
      k.hooks.stop_run(fmt::format("swap {} of {}: the stack walk says thread {} is {}inside, the kernel's view of "
                                   "its registers says {}inside (a simulator bug)", id_, label_, t.id,
                                   found ? "" : "not ", held ? "" : "not "));
    if (!found) {
      switch_thread(h, t, "asleep");
    } else {
      ++p.pending;
      if (t.in_interrupt || t.preempted) ++detail("interrupted_inside");
      if (held) note_stall(h.cycle(), t, *held);
    }
    if (p.interrupts_were_on) h.set_interrupts(true);
    return true;
  }
  while (p.next < p.todo.size()) {
    const os::Thread& t = k.threads.thread(p.todo[p.next++]);
    if (!live(t) || t.cpu != me || !pending(h, t)) continue;  // ended, or switched at a kernel boundary
    // None of this CPU's threads runs while its worker does, nor (interrupts off) until the answer.
    os::host_store(h, p.table + WalkTable::kFirst, t.descriptor);
    p.interrupts_were_on = h.set_interrupts(false);
    k.threads.call_routine(h, s_.walk_code(), p.table);
    p.in_check = true;
    p.checked = t.id;
    return true;
  }
  return false;
}

void LivepatchSwap::watch_behind(ppc::Hart& h, unsigned round) {
  ctx_.k.hooks.at(home_, h.cycle() + std::max<uint64_t>(1, us_to_cycles(retry_us_)),
                  [this, round](ppc::Hart& hh) { settle_behind(hh, round); });
}

void LivepatchSwap::settle_behind(ppc::Hart& h, unsigned round) {
  auto& k = ctx_.k;
  if (over_ || round != round_ || !waiting_) return;  // the round ended meanwhile
  for (unsigned c = 0; c < cpus_; ++c) {
    Pass& p = pass_[c];
    if (p.round == round_) continue;  // begun (or done) by its worker
    bool all = true;
    for (unsigned id = 0; id < k.threads.count() && all; ++id)
      if (const os::Thread& t = k.threads.thread(id); live(t) && t.cpu == c) all = !pending(h, t);
    if (!all) continue;
    p.round = round_, p.done = true, p.pending = 0;
    ++detail("passes_not_needed");
    ++done_;
  }
  if (done_ < spawned_) return watch_behind(h, round);
  waiting_ = false;
  k.threads.wake(coordinator_, h.cycle());
}

void LivepatchSwap::pass_done(ppc::Hart& h) {
  pass_[h.id()].done = true;
  if (++done_ == spawned_ && waiting_) {
    waiting_ = false;
    ctx_.k.threads.wake(coordinator_, h.cycle());
  }
}

void LivepatchSwap::switch_thread(ppc::Hart& h, const os::Thread& t, const char* how) {
  os::host_store(h, t.descriptor + os::kDescPatch, target_word());
  const std::string_view w(how);
  ++detail(w == "asleep" ? "switched_asleep" : w == "forced" ? "forced" : "switched_at_boundary");
  if (auto it = stalls_.find(t.id); it != stalls_.end() && !it->second.switched) {
    it->second.switched = h.cycle();
    stall_row(it->second, t.id);
  }
  auto& rows = table("switches");
  if (rows.size() >= kMaxSwitchRows) {
    ++detail("switch_rows_dropped");
    return;
  }
  rows.push_back({{"thread", {}, t.id},
                  {"name", ctx_.k.facts.thread_name(t.id), 0, true},
                  {"cpu", {}, t.cpu},
                  {"cycle", {}, h.cycle()},
                  {"how", how, 0, true},
                  {"to", target_ ? "patched" : "unpatched", 0, true}});
}

void LivepatchSwap::note_stall(uint64_t now, const os::Thread& t, const Holder& at) {
  auto [it, fresh] = stalls_.try_emplace(t.id);
  Stall& st = it->second;
  if (fresh || st.switched) {  // a thread id's first stall, or a new thread in a freed slot
    st = Stall{};
    st.first = now;
    st.cpu = t.cpu;
    st.name = ctx_.k.facts.thread_name(t.id);
    st.row = table("stalls").size();
    table("stalls").emplace_back();
  }
  st.where = at.where;
  st.addr = at.addr;
  st.frame = at.frame;
  st.method = method_at(at.addr);
  st.last = now;
  ++st.seen;
  detail("threads_stalled") = table("stalls").size();
  stall_row(st, t.id);
}

void LivepatchSwap::stall_row(const Stall& st, unsigned tid) {
  table("stalls")[st.row] = {{"thread", {}, tid},
                             {"name", st.name, 0, true},
                             {"cpu", {}, st.cpu},
                             {"held_by", st.where, 0, true},
                             {"at", fmt::format("0x{:x}", st.addr), 0, true},
                             {"method", st.method, 0, true},
                             {"frame", {}, st.frame},
                             {"first_cycle", {}, st.first},
                             {"last_cycle", {}, st.last},
                             {"checks", {}, st.seen},
                             {"switched_cycle", {}, st.switched}};
}

// At every kernel entry: a thread entering the kernel from the request loop, between two calls, holds
// no frame of the object (Linux: klp_update_patch_state on the way out to user space).
void LivepatchSwap::boundary(ppc::Hart& h) {
  if (over_) return;
  const os::Thread* t = ctx_.k.threads.current(h.id());
  if (!t || t->system || t->in_interrupt || t->preempted || t->call_under_way()) return;
  if (pending(h, *t)) switch_thread(h, *t, "kernel boundary");
}

void LivepatchSwap::routed(ppc::Hart& h, const os::Thread* t, bool to_new) {
  if (over_ || !t || t->system || !is_old_rep(h.state().gpr[3])) return;  // another instance of the implementation
  const bool p = patched(h.memory().load<uint64_t>(t->descriptor + os::kDescPatch));
  ++detail(to_new ? (p ? "calls_new_patched" : "calls_new_unpatched") : (p ? "calls_old_patched" : "calls_old_unpatched"));
}

// klp_force_transition: every pending thread switched, wherever it is.
void LivepatchSwap::force(ppc::Hart& h) {
  auto& k = ctx_.k;
  for (unsigned id = 0; id < k.threads.count(); ++id)
    if (const os::Thread& t = k.threads.thread(id); live(t) && pending(h, t)) switch_thread(h, t, "forced");
}

// klp_reverse_transition: the target becomes unpatched; the switched threads come back under the same rules.
void LivepatchSwap::reverse(ppc::Hart& h) {
  target_ = false;
  detail("reversed") = h.cycle();
}

void LivepatchSwap::end(ppc::Hart& h, bool completed) {
  auto& k = ctx_.k;
  completed_ = completed;
  k.hooks.remove_entry_hook(hook_);
  for (const auto w : watches_) k.hooks.unwatch_code(w);
  watches_.clear();
  over_ = true;
  s_.release(h);
  for (unsigned c = 0; c < cpus_; ++c)
    if (c != home_ && pass_[c].started) k.threads.wake(worker_tid_[c], h.cycle());
}

std::string LivepatchSwap::method_at(uint64_t addr) const {
  const unsigned impl = target_ ? old_impl_ : new_impl_;
  const auto& rs = ranges();
  for (size_t i = 0; i < rs.size(); ++i)
    if (addr >= rs[i].start && addr < rs[i].end)
      return fmt::format("{}::{}", ctx_.impls[impl].name,
                         i < ctx_.impls[impl].methods.size() ? ctx_.impls[impl].methods[i].name : "?");
  return is_old_rep(addr) ? "the rep" : "";
}

std::string LivepatchSwap::describe() const {
  std::string who;
  unsigned n = 0;
  for (const auto& [tid, st] : stalls_) {
    if (st.switched) continue;
    if (n++ < 8)
      who += fmt::format("; thread {} ({}, cpu {}) held by its {} 0x{:x}{}{}, since cycle {}", tid, st.name, st.cpu,
                         st.where, st.addr, st.method.empty() ? "" : " in " + st.method,
                         st.frame ? fmt::format(" (frame {})", st.frame) : "", st.first);
  }
  if (n > 8) who += fmt::format("; {} more", n - 8);
  if (given_up_)
    return fmt::format("swap {} of {} ({}): reversed after {} retries, given up: every thread is back on {}", id_,
                       label_, strategy(), retries_, ctx_.impls[old_impl_].name);
  if (at_ == At::Acquire || (at_ == At::Begin && !round_))
    return fmt::format("swap {} of {} ({}): waiting for another livepatch transition to end", id_, label_, strategy());
  std::vector<unsigned> behind;  // CPUs whose worker has not finished this round (not yet given its CPU)
  for (unsigned c = 0; c < cpus_; ++c)
    if (pass_[c].round != round_ || !pass_[c].done) behind.push_back(c);
  const std::string workers =
      behind.empty() ? "" : fmt::format(", waiting for the worker of cpu {}", fmt::join(behind, ", cpu "));
  return fmt::format("swap {} of {} ({}): {} (transition {}), round {}{}, {} retries every {} us; {} threads stalled{}",
                     id_, label_, strategy(), target_ ? "patching" : "reversed, unpatching", transition_, round_,
                     workers, retries_, retry_us_, n, who);
}

}  // namespace

StrategyEntry livepatch_strategy() {
  StrategyInfo i;
  i.name = "livepatch";
  i.summary =
      "Linux livepatch's per-task consistency model: a patch state per thread (a descriptor word); during the transition every call of the object goes through a trampoline to the old or the new method by the caller's state; a thread switches when a check finds nothing of the old code on its stack while it cannot run, or at its next kernel boundary; rounds every retry_us until every thread switched; stalled threads reported; force (unsafe)";
  i.safe = true;
  i.joins_patches = false;
  i.in_patch = "no: threads switch one by one, so the new code runs before the old code is quiescent; a patch of several functions is one livepatch transition in Linux, which this strategy models per object";
  i.safety = "a thread switches only when its stack (interrupted mid-code: also its registers) holds nothing of the old implementation, checked while it cannot run, or at a kernel boundary between calls, where it holds no frame of the object; the old implementation is retired only once every thread has switched. force: 1 gives this up on purpose";
  i.fast_path = "nothing outside a transition; during one, a trampoline per call of the object (the caller's patch word through SPRG3, a compare, an indirect branch; under preemptive with MSR[EE] off) and a patch-word check at each request-loop kernel entry";
  i.waits_for = "every thread to switch: stack checks of sleeping threads every retry_us, running ones at their next kernel boundary";
  i.reclaim = Reclaim::AtEnd;
  i.reclaim_rule =
      "at the transition's end: every thread switched where its stack held nothing of the old code (by reference: no old rep to free)";
  i.phases = {"transition", "complete"};
  i.params = {
      {"worker_step_cycles", 60, 0, 1e6, "cycles", "the workers' bookkeeping each time one runs a step"},
      {"retry_us", 1e6, 0.001, 1e7, "us", "the wait between two rounds of stack checks while threads are pending",
       false, false, "Linux: klp_try_complete_transition reschedules klp_transition_work round_jiffies_relative(HZ) "
       "later, one second (kernel/livepatch/transition.c)"},
      {"max_retries", 0, 0, 1e6, "", "0: retry until every thread has switched; n: after n retries with threads "
       "pending, reverse the transition (Linux's klp_reverse_transition, what disabling a patch in transition does) "
       "and give up once every thread is back on the old implementation (reported as not completed)", true, false,
       "Linux: no limit (kernel/livepatch/transition.c)"},
      {"force", 0, 0, 1, "", "1: once the transition is force_after_us old, the first round that ends with threads "
       "pending switches them regardless (Linux's /sys/kernel/livepatch/<patch>/force, klp_force_transition): unsafe "
       "by design, the safety oracle catches a thread still in the old code", true, false,
       "Linux: an administrator's action (Documentation/livepatch/livepatch.rst)"},
      {"force_after_us", 0, 0, 1e9, "us", "with force 1: the transition's age from which a round that ends with "
       "threads pending forces them", false},
  };
  i.constraints = {kConstraintSharedRoot, kConstraintByReference};
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) { return std::make_unique<Livepatch>(info, p); }};
}

}  // namespace quiesce::hotswap
