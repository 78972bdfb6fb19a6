// rcu: an RCU-style grace period (QSBR: quiescent-state-based reclamation)
// instead of interposition or counting. Readers pay nothing: no gate code at
// all, under either scheduler; a call costs K42's plain indirection (DREF).
//
// A swap, in one system thread on the CPU that starts it:
//   publish  lock the GTT entry, hand the reps to the new implementation by
//            reference (each rep's vtable word rewritten, the reps adopted by
//            the new root), swing the root and every installed LTT entry,
//            unlock. A call that translates from now on runs the new code;
//            calls already past their translation go on in the old code, on
//            the same state. A new grace period begins: the global grace
//            period number (a line of its own, `rcu.gp_seq`) is stored.
//   grace    every `poll_us` the thread reads each CPU's quiescent-state line
//            (`rcu.qs`, one line per CPU: the last grace period it reported,
//            and its holdouts) through its caches, until every CPU has
//            reported this grace period and every holdout has left.
//   retire   the safe point: the oracle watches the old code for the handed
//            over reps from now on (an old instruction run for them is a
//            violation); the swap is complete.
//
// How a CPU reports (Linux: rcu_qs and rcu_report_qs_rdp), at its kernel
// entries while a grace period is in progress: it loads the global number and
// its own line's; when its own is older and the entry is a quiescent state —
//   - a call boundary: its thread's top-level call returned to the request
//     loop (the kernel exit of K42's request loop), or
//   - a context switch or the idle loop: no thread on the CPU —
// it walks its task list (every descriptor's kind, interrupted word, saved pc
// and next pointer, loaded through its caches), notes as holdouts the threads
// off their CPU part-way through a call (preempted anywhere, or blocked at a
// pc outside the request loop: an I/O wait or a call held inside a method),
// and stores the number and its holdout count into its line. An interrupt's
// entry is no quiescent state: the interrupted thread may be inside an
// object, or have its old rep in a register with the branch still to come.
// A holdout leaves at its own next call boundary (its CPU stores its line
// again). Linux's preemptible RCU keeps such tasks on a blocked-tasks list too;
// it learns which of them are readers from a nesting count each reader
// increments (rcu_read_lock). Here the kernel's record of where the thread
// stopped tells it, conservatively — a thread off its CPU anywhere but the
// request loop counts — so readers pay nothing, and a grace period also waits
// for threads blocked inside other objects (it is global, as RCU's is). The
// saved pc is taken from the kernel's record (the descriptor holds the same,
// thread_descriptor.h, but the thread leaving the CPU at this very entry has
// its descriptor written later, by the switch); the walk's loads are paid.
//
// State: the old implementation's calls run on during the grace period, on the
// state the new one already uses. So the state moves by reference only, when
// publishing (constraint by_reference: same layout, both sides speak
// by_reference): a copy or transform made at publish would lose what the old
// calls still write, one made at the end would lose what the new calls wrote
// meanwhile. Old and new code share the state for one grace period: that is
// RCU's premise, the versions must tolerate each other on it, and a scenario
// declares it by giving them by_reference. The oracle judges from the retire on.
//
// Blocking and preempted readers: handled, not refused — a reader that sleeps
// or is preempted in the old object is a holdout, and the grace period waits
// for it (the swap's end comes after that call's end). There is no sleepable
// (SRCU-like) variant: its point, readers that may sleep, is covered by the
// holdouts, and srcu_read_unlock needs the index its lock took, which the call
// gate's convention (call_gate.h) gives no place to keep across the call.
//
// `grace_period: 0` retires right after publishing (unsafe: the oracle's
// mutation test).
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "hotswap/quiescence_strategy.h"
#include "os_model/thread_descriptor.h"

namespace quiesce::hotswap {

namespace {

class RcuSwap;

// One CPU's line in `rcu.qs`: the last grace period it reported, and how many holdouts it has now.
constexpr uint64_t kReported = 0, kHoldoutCount = 8;

struct Holdout {
  unsigned tid, cpu;
  uint64_t created;  // its thread slot's creation cycle then (a slot reused since is another thread)
};

class Rcu final : public QuiescenceStrategy {
 public:
  Rcu(const StrategyInfo& info, const StrategyParams& p)
      : QuiescenceStrategy(info),
        step_cycles_(p.u32("worker_step_cycles")),
        report_cycles_(p.u32("report_cycles")),
        walk_cycles_(p.u32("walk_thread_cycles")),
        poll_us_(p.real("poll_us")),
        grace_(p.u32("grace_period") != 0) {}

  void attach(SwapContext& ctx) override {
    ctx_ = &ctx;
    auto& k = ctx.k;
    line_ = k.facts.line_bytes();
    qs_ = k.objects.heap().allocate("rcu.qs", uint64_t{k.facts.cpus()} * line_, line_);
    gp_word_ = k.objects.heap().allocate("rcu.gp_seq", line_, line_);
    tasks_ = k.facts.task_lists();
    for (unsigned id = 0; id < k.threads.count(); ++id) by_descriptor_[k.threads.thread(id).descriptor] = id;
    k.hooks.add_entry_hook([this](ppc::Hart& h) { on_entry(h); });
  }
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override;

  uint32_t step_cycles() const { return step_cycles_; }
  double poll_us() const { return poll_us_; }
  bool grace() const { return grace_; }
  uint64_t line(unsigned cpu) const { return qs_ + uint64_t{cpu} * line_; }
  // A new grace period for `s`, from h's CPU: its number, stored where every CPU looks.
  uint64_t begin(ppc::Hart& h, RcuSwap* s) {
    active_.push_back(s);
    started_at_ = h.cycle();
    os::host_store(h, gp_word_, ++gp_seq_);
    return gp_seq_;
  }
  void end(RcuSwap* s) { std::erase(active_, s); }
  // Holdouts of CPU `cpu` over every grace period in progress (its line's count word).
  uint64_t holdouts_of(unsigned cpu) const;

 private:
  void on_entry(ppc::Hart& h);
  std::vector<Holdout> walk(ppc::Hart& h, unsigned cpu, const os::Thread* running);

  const uint32_t step_cycles_, report_cycles_, walk_cycles_;
  const double poll_us_;
  const bool grace_;
  uint32_t line_ = 128;
  uint64_t qs_ = 0, gp_word_ = 0, gp_seq_ = 0, started_at_ = 0;
  std::vector<uint64_t> tasks_;               // per CPU: the word holding its task list's first descriptor
  std::map<uint64_t, unsigned> by_descriptor_;  // descriptor address -> thread id
  std::vector<RcuSwap*> active_;              // swaps in their grace period, oldest first
};

class RcuSwap final : public Swap {
 public:
  RcuSwap(Rcu& s, SwapContext& ctx, unsigned id, unsigned coid, unsigned to, std::string label)
      : Swap(ctx, s.info(), id, coid, to, std::move(label)), s_(s), reported_(cpus_, false) {
    detail("polls"), detail("holdouts");  // always in this order, whichever comes first
  }
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) override {
    launch(h, std::move(done), [this](ppc::Hart& hh, const os::Thread& t) { return step(hh, t); });
  }
  std::string describe() const override;

  uint64_t gp() const { return gp_; }
  // CPU `cpu` reported a grace period at least this one's: the holdouts it found are this swap's too.
  void reported(unsigned cpu, const std::vector<Holdout>& found) {
    if (reported_[cpu]) return;
    reported_[cpu] = true;
    holdouts_.insert(holdouts_.end(), found.begin(), found.end());
    detail("holdouts") += found.size();
  }
  // Thread `tid` reached a call boundary: it holds this grace period no longer.
  bool release(unsigned tid) {
    return std::erase_if(holdouts_, [&](const Holdout& x) { return x.tid == tid; }) > 0;
  }
  unsigned holdouts_on(unsigned cpu) const {
    return static_cast<unsigned>(std::count_if(holdouts_.begin(), holdouts_.end(), [&](const Holdout& x) { return x.cpu == cpu; }));
  }

 private:
  enum : uint8_t { kPublish, kGrace, kRetire };  // the phases, as declared
  enum class At : uint8_t { Publish, Grace, Retire };
  os::SystemStep step(ppc::Hart& h, const os::Thread& t);

  Rcu& s_;
  At at_ = At::Publish;
  uint64_t gp_ = 0;
  std::vector<bool> reported_;
  std::vector<Holdout> holdouts_;
  unsigned unreported_ = 0;  // CPUs not yet reported at the last read
};

std::unique_ptr<Swap> Rcu::make_swap(unsigned id, unsigned coid, unsigned to, std::string label) {
  return std::make_unique<RcuSwap>(*this, *ctx_, id, coid, to, std::move(label));
}

uint64_t Rcu::holdouts_of(unsigned cpu) const {
  uint64_t n = 0;
  for (const RcuSwap* s : active_) n += s->holdouts_on(cpu);
  return n;
}

// Every kernel entry of every CPU; work only while a grace period is in progress.
void Rcu::on_entry(ppc::Hart& h) {
  if (active_.empty()) return;
  const unsigned cpu = h.id();
  const os::Thread* t = ctx_->k.threads.current(cpu);
  if (t && (t->in_interrupt || t->system)) return;  // an interrupt taken in a thread: no quiescent state
  if (h.cycle() < started_at_) return;  // a CPU behind in time (within its quantum): before the grace period began
  // A quiescent state: t's call returned to the request loop, or no thread runs here.
  bool changed = false;
  if (t)
    for (RcuSwap* s : active_) changed |= s->release(t->id);
  const uint64_t gp = os::host_load(h, gp_word_);
  if (os::host_load(h, line(cpu) + kReported) < gp) {
    h.charge(report_cycles_);
    const std::vector<Holdout> found = walk(h, cpu, t);
    for (RcuSwap* s : active_)
      if (s->gp() <= gp) s->reported(cpu, found);
    os::host_store(h, line(cpu) + kReported, gp);
    changed = true;
  }
  if (changed) os::host_store(h, line(cpu) + kHoldoutCount, holdouts_of(cpu));
}

// CPU `cpu`'s threads off their CPU part-way through a call, read from its task list through h's caches.
std::vector<Holdout> Rcu::walk(ppc::Hart& h, unsigned cpu, const os::Thread* running) {
  auto& k = ctx_->k;
  std::vector<Holdout> out;
  uint64_t d = os::host_load(h, tasks_[cpu]);
  for (size_t n = 0; d && n <= by_descriptor_.size(); ++n) {
    h.charge(walk_cycles_);
    const uint64_t kind = os::host_load(h, d + os::kDescKind);
    os::host_load(h, d + os::kDescInterrupted);
    os::host_load(h, d + os::kDescPc);
    const uint64_t next = os::host_load(h, d + os::kDescNext);
    const auto it = by_descriptor_.find(d);
    if (kind == os::kDescThread && it != by_descriptor_.end()) {
      const os::Thread& th = k.threads.thread(it->second);
      const bool mid_call = th.preempted || !k.facts.in_request_loop(k.threads.registers(th.id).pc);
      if (&th != running && th.state != os::ThreadState::Free && !th.system && !th.irq && mid_call)
        out.push_back({th.id, cpu, th.created});
    }
    d = next;
  }
  return out;
}

os::SystemStep RcuSwap::step(ppc::Hart& h, const os::Thread& t) {
  auto& k = ctx_.k;
  const unsigned cpu = h.id();
  h.charge(s_.step_cycles());
  switch (at_) {
    case At::Publish: {
      if (phase_[cpu] != kPublish) record_phase(h.cycle(), cpu, kPublish);
      if (!lock_root(h)) return os::SystemStep::Again;  // a miss in progress on another CPU
      const auto& from = ctx_.impls[old_impl_];
      const auto& to = ctx_.impls[new_impl_];
      const bool same_layout = from.state_bytes == to.state_bytes &&
                               from.shared_state_bytes == to.shared_state_bytes && from.root == to.root;
      protocol_ = negotiate(ctx_.spec.transfer[old_impl_], ctx_.spec.transfer[new_impl_], same_layout);
      if (protocol_ != Protocol::ByReference)  // the scenario reader enforces constraint by_reference
        throw std::logic_error(fmt::format("rcu swap of {}: no by_reference transfer from {} to {}", label_,
                                           from.name, to.name));
      note_old_reps();
      ctx_.oracle.reclaim(new_impl_, old_reps_);  // a swap back: the new implementation's code is theirs again
      transfer_all(h);  // each rep's vtable word: the new code from the next translation on
      swing(h, false);  // the oracle is told at the retire: old calls may run on until then
      k.objects.unlock_root(h, coid_);
      gp_ = s_.begin(h, this);
      record_phase(h.cycle(), cpu, kGrace);
      at_ = s_.grace() ? At::Grace : At::Retire;
      return os::SystemStep::Again;
    }
    case At::Grace: {
      ++detail("polls");
      unreported_ = 0;
      for (unsigned c = 0; c < cpus_; ++c) {
        unreported_ += os::host_load(h, s_.line(c) + kReported) < gp_;
        os::host_load(h, s_.line(c) + kHoldoutCount);
      }
      std::erase_if(holdouts_, [&](const Holdout& x) {  // ended, or its slot is another thread's now
        const os::Thread& th = k.threads.thread(x.tid);
        return th.state == os::ThreadState::Free || th.created != x.created;
      });
      if (unreported_ || !holdouts_.empty()) return sleep(h, t.id, us_to_cycles(s_.poll_us()), Activity::Quiescence);
      at_ = At::Retire;
      return os::SystemStep::Again;
    }
    case At::Retire:
      s_.end(this);
      record_phase(h.cycle(), cpu, kRetire);
      reach_safe_point(h);
      hand_over(h);
      record_phase(h.cycle(), cpu, kPhaseDone);
      finish(h);
      return os::SystemStep::Exit;
  }
  return os::SystemStep::Exit;
}

std::string RcuSwap::describe() const {
  if (at_ == At::Publish) return fmt::format("swap {} of {} ({}): publishing (taking the GTT entry's lock)", id_, label_, strategy());
  std::string who;
  for (const Holdout& x : holdouts_) who += fmt::format("{}thread {} (cpu {})", who.empty() ? "" : ", ", x.tid, x.cpu);
  return fmt::format("swap {} of {} ({}): waiting for grace period {}: {} CPUs not reported at the last read; "
                     "holdouts (off their CPU part-way through a call): {}",
                     id_, label_, strategy(), gp_, unreported_, who.empty() ? "none" : who);
}

}  // namespace

StrategyEntry rcu_strategy() {
  StrategyInfo i;
  i.name = "rcu";
  i.summary =
      "RCU-style grace period (QSBR): publish the new object by reference, wait until every CPU passed a quiescent "
      "state (call boundary, context switch, idle) and every thread then off its CPU mid-call reached a call boundary, "
      "retire the old code";
  i.safe = true;
  i.joins_patches = false;
  i.in_patch = "no: the new object is published before the grace period, so new code runs while old calls finish; no point holds both quiet";
  i.safety = "a call still in the old object when it is published either runs on its CPU, which reports no quiescent "
             "state until the call returns, or is off its CPU mid-call, a holdout the grace period waits for; the old "
             "code runs on the state the new one uses (by reference) until the retire, when the oracle starts judging";
  i.fast_path = "nothing beyond the translation (DREF)";
  i.waits_for = "a grace period: every CPU's quiescent state, then every holdout's call boundary";
  i.reclaim = Reclaim::AtEnd;
  i.reclaim_rule =
      "at the end of its grace period (call_rcu): every CPU passed a quiescent state and every holdout a call boundary since the old object was unpublished (by reference: no old rep to free)";
  i.phases = {"publish", "grace", "retire"};
  i.params = {
      {"worker_step_cycles", 60, 0, 1e6, "cycles", "the swap thread's bookkeeping each time it runs a step"},
      {"poll_us", 1, 0.001, 1e6, "us", "how often the swap thread re-reads every CPU's quiescent-state line", false},
      {"report_cycles", 20, 0, 1e6, "cycles", "a CPU's bookkeeping when it reports a quiescent state (beyond the "
       "loads and stores it makes)"},
      {"walk_thread_cycles", 6, 0, 1e6, "cycles", "the reporting CPU's work per thread of its task list (beyond the "
       "descriptor words it loads)"},
      {"grace_period", 1, 0, 1, "", "1: wait for the grace period before retiring the old code; 0: do not (unsafe: "
       "for ablations and the oracle's mutation test)"},
  };
  i.constraints = {kConstraintByReference};
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) { return std::make_unique<Rcu>(info, p); }};
}

}  // namespace quiesce::hotswap
