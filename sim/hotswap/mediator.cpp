#include "hotswap/mediator.h"

#include <algorithm>

#include <fmt/format.h>

#include "hotswap/mediation_code.h"


namespace quiesce::hotswap {

using Step = os::SystemStep;

namespace {
// Mediator rep words (mediation_code.h): [vtable][phase][in flight][blocked][old rep][hash slots].
constexpr unsigned kPhaseWord = kMediatorPhaseWord, kBlockedWord = 3, kOldRepWord = kMediatorOldRepWord,
                   kHashWord = kMediatorHashWord;
// Mediator root line words: [phase][meet 1][meet 2][protocol].
constexpr unsigned kMeet1 = 1, kMeet2 = 2, kProtocolWord = 3;
}  // namespace

Mediator::Mediator(SwapContext& ctx, MediationRoutine& routine, const StrategyInfo& strategy,
                   const StrategyParams& params, unsigned id, unsigned coid, unsigned new_impl, std::string label)
    : Swap(ctx, strategy, id, coid, new_impl, std::move(label)),
      routine_(routine),
      step_cycles_(params.u32("worker_step_cycles")),
      hash_slots_(params.u32("hash_slots")),
      generations_(params.u32("generations")),
      old_rep_(cpus_, 0),
      gen_target_(cpus_, 0),
      in_flight_(cpus_, 0),
      worker_(cpus_),
      blocked_(cpus_) {
  std::fill(phase_.begin(), phase_.end(), kInterpose);  // it interposes on every CPU from the start
}

// The mediator's root: hands out a mediator rep per CPU, and tells the
// mediator when a CPU meets it for the first time through a miss.
class Mediator::MediatorRoot final : public os::Root {
 public:
  MediatorRoot(Mediator& m, os::RepTemplate t, unsigned cpus)
      : os::Root(m.label_ + ".mediator", os::RootKind::PerCpu, std::move(t), cpus), m_(m) {}
  uint64_t rep_for(unsigned cpu, os::GuestHeap& heap, ppc::Hart* h = nullptr) override {
    const bool fresh = rep_if_any(cpu) == 0;
    const uint64_t rep = os::Root::rep_for(cpu, heap, h);
    if (fresh) m_.new_mediator_rep(cpu);
    return rep;
  }

 private:
  Mediator& m_;
};

std::vector<uint64_t> Mediator::scaffolding() const {
  std::vector<uint64_t> out{line_};
  for (unsigned c = 0; c < cpus_; ++c)
    if (const uint64_t r = root_ ? root_->rep_if_any(c) : 0) out.push_back(r);
  return out;
}

uint64_t Mediator::rep_word(unsigned cpu, unsigned word) const { return root_->rep_if_any(cpu) + 8 * word; }

void Mediator::set_phase(ppc::Hart& h, unsigned cpu, uint8_t p) {
  record_phase(h.cycle(), cpu, p);
  if (root_->rep_if_any(cpu)) os::host_store(h, rep_word(cpu, kPhaseWord), static_cast<unsigned>(p));
}

// The swap begins: the mediator's structures, the new object's root, and a
// system thread on this CPU that interposes.
void Mediator::start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) {
  auto& k = ctx_.k;
  started_ = true;
  done_cb_ = std::move(done);
  start_cycle_ = h.cycle();
  line_ = k.objects.heap().allocate_block(&h, h.id(), fmt::format("mediator.{}", label_), 32);
  os::RepTemplate t;
  t.vtable = routine_.vtable;
  t.bytes = 8 * (kHashWord + 2 * uint64_t{hash_slots_});
  t.region = fmt::format("mediator.{}.rep", label_);
  root_keep_ = std::make_unique<MediatorRoot>(*this, std::move(t), cpus_);
  root_ = root_keep_.get();
  new_root_ = std::make_unique<os::Root>(label_, ctx_.impls[new_impl_].root, k.objects.rep_template(coid_, new_impl_, &h), cpus_);
  spawn(h, h.id(), fmt::format("swap {} initiator", id_), [this](ppc::Hart& hh, const os::Thread&) { return initiate(hh); });
}

// Interposition, on the initiating CPU: the GTT entry's lock for writing
// (waiting out misses in progress), the root swung to the mediator's.
Step Mediator::initiate(ppc::Hart& h) {
  auto& objects = ctx_.k.objects;
  h.charge(step_cycles_);
  if (joint_ == Joint::Aborted) {  // its patch gave up before it interposed: nothing to undo
    if (locked_) objects.unlock_root(h, coid_);
    for (unsigned c = 0; c < cpus_; ++c) record_phase(h.cycle(), c, kPhaseDone);
    retire(h);  // the mediator's line, by the strategy's rule
    give_up(h);
    return Step::Exit;
  }
  if (!locked_) {
    if (!lock_root(h)) return Step::Again;
    locked_ = true;
  }
  // The CPUs that used the object get workers; reps made so far are the old object's.
  for (unsigned c = 0; c < cpus_; ++c)
    if (const uint64_t rep = objects.root(coid_).rep_if_any(c))
      note_old_rep(rep);
  old_root_ = objects.swing_root(h, coid_, std::move(root_keep_), 0x8000'0000u + id_);  // the root: the mediator's
  objects.unlock_root(h, coid_);
  for (unsigned c = 0; c < cpus_; ++c)
    if (objects.installed(coid_, c)) add_worker(h, c);
  if (!workers_) add_worker(h, h.id());  // nobody used it: one worker does the transfer
  return Step::Exit;
}

void Mediator::add_worker(ppc::Hart& h, unsigned cpu) {
  worker_[cpu].assigned = true;
  ++workers_;
  rec_[cpu].worker = true;
  spawn(h, cpu, fmt::format("swap {} worker cpu {}", id_, cpu), [this, cpu](ppc::Hart& hh, const os::Thread& t) {
    worker_[cpu].tid = static_cast<int>(t.id);
    return work(hh, cpu);
  });
}

// A CPU without a worker missed into the mediator. Before the workers first
// meet it gets a worker of its own (its calls are tracked like the others');
// after that, its calls block until the new object is in place.
void Mediator::new_mediator_rep(unsigned cpu) {
  if (worker_[cpu].assigned || joint_ == Joint::Aborted) return;
  if (arrived1_ < workers_) add_worker(ctx_.k.threads.hart(cpu), cpu);
  else phase_[cpu] = kTransfer;
}

// One worker's phases on its CPU.
Step Mediator::work(ppc::Hart& h, unsigned cpu) {
  auto& k = ctx_.k;
  Worker& w = worker_[cpu];
  h.charge(step_cycles_);
  if (joint_ == Joint::Aborted) {  // its patch gave up: the going-back thread undoes the interposition
    set_phase(h, cpu, kPhaseDone);
    return Step::Exit;
  }
  switch (w.at) {
    case Work::Start: {
      root_->rep_for(cpu, k.objects.heap(), &h);  // this CPU's mediator rep
      set_phase(h, cpu, kInterpose);
      // Reset this CPU's LTT entry: its next call misses into the mediator.
      k.objects.reset_entry(h, cpu, coid_);
      // Threads alive now (any of which may have entered the old object through
      // that entry) must all end before the Block phase: two generation swaps
      // from now (`generations`; one is not enough: the ablation the oracle must catch). Counted from here, not from the swap's start: a worker that
      // starts late must not count swaps made while the entry was still live.
      gen_target_[cpu] = k.threads.generation(cpu).swaps() + generations_;
      set_phase(h, cpu, kForward);
      w.at = Work::GenWait;
      return Step::Again;
    }
    case Work::GenWait: {
      os::GenerationCount& gen = k.threads.generation(cpu);
      if (gen.swaps() >= gen_target_[cpu]) {
        w.at = Work::BlockStart;
        return Step::Again;
      }
      if (gen.previous_drained()) {
        gen.swap(h, k.threads.generation_swap_cycles());
        return Step::Again;
      }
      w.waiting_gen = true;  // poll() wakes it once the older generation drained
      return block(h, Activity::Quiescence);
    }
    case Work::BlockStart:
      set_phase(h, cpu, kBlock);
      w.at = Work::InFlight;
      return Step::Again;
    case Work::InFlight:
      if (in_flight_[cpu]) {
        w.waiting_inflight = true;  // the last forwarded call's return wakes it
        return block(h, Activity::Quiescence);
      }
      w.at = Work::Meet1;
      [[fallthrough]];
    case Work::Meet1:
      if (!meet(h, cpu, arrived1_)) return block(h, Activity::OtherCpus);
      w.at = Work::Transfer;
      return Step::Again;
    case Work::Transfer:
      set_phase(h, cpu, kTransfer);
      {
        unsigned rank = 0;  // workers in CPU order: this one's rank among them
        for (unsigned c = 0; c < cpu; ++c) rank += worker_[c].assigned;
        transfer_part(h, cpu, rank, workers_);
      }
      w.at = Work::Meet2;
      [[fallthrough]];
    case Work::Meet2:
      if (!meet(h, cpu, arrived2_)) return block(h, Activity::OtherCpus);
      w.at = swings_ ? Work::Swing : Work::Complete;
      return Step::Again;
    case Work::Swing:
      // Under the GTT entry's lock for writing, as the interposition: a miss in progress on another CPU
      // could otherwise still take the mediator root and install a mediator rep nobody would ever reset.
      if (!lock_root(h)) return Step::Again;
      swing_to_new(h);
      ctx_.k.objects.unlock_root(h, coid_);
      swings_ = false;
      for (unsigned c = 0; c < cpus_; ++c)
        if (c != cpu && worker_[c].waiting_meet) ctx_.k.threads.wake(static_cast<unsigned>(worker_[c].tid), h.cycle());
      w.at = Work::Complete;
      return Step::Again;
    case Work::Complete: {
      set_phase(h, cpu, kComplete);
      // Cease interception here: this CPU's LTT entry to the new rep, then the blocked calls go to it.
      // (Installed: a later swap must visit this CPU even if its entry never missed.)
      k.objects.install_entry(h, cpu, coid_, new_rep(cpu, &h));
      release_blocked(h, cpu);
      set_phase(h, cpu, kPhaseDone);
      ++done_;
      finish_if_done(h);
      return Step::Exit;
    }
  }
  return Step::Exit;
}

// The workers' meeting point: a counter in the mediator root's line. The
// last to arrive wakes the others (and, at the first meeting, the system
// is quiescent for this object: the oracle checks; at the second, the new
// object replaces the old in the GTT).
bool Mediator::meet(ppc::Hart& h, unsigned cpu, unsigned& arrived) {
  Worker& w = worker_[cpu];
  if (w.waiting_meet) {  // woken: everyone arrived
    w.waiting_meet = false;
    return true;
  }
  const bool first_meeting = &arrived == &arrived1_;
  os::host_atomic_add(h, line_ + 8 * (first_meeting ? kMeet1 : kMeet2), 1);
  if (++arrived < workers_) {
    w.waiting_meet = true;
    return false;
  }
  if (first_meeting) {
    // Quiescent: the safe point, or in a patch, holding there until every member is at its own.
    // (Until then a call let through still takes this arrival back.)
    if (!arrive_joint(h)) {
      w.waiting_meet = true;
      return false;
    }
  } else {
    swings_ = true;  // the others wait until it has (Work::Swing)
    return true;
  }
  for (unsigned c = 0; c < cpus_; ++c)
    if (c != cpu && worker_[c].waiting_meet) ctx_.k.threads.wake(static_cast<unsigned>(worker_[c].tid), h.cycle());
  return true;
}

// A call let through in Block on `cpu`: if this CPU's worker already found no call in flight and waits
// at the first meeting, it takes its arrival back and waits for this call too. (The meeting has not
// happened: after it no call is let through.)
void Mediator::call_after_count(ppc::Hart& h, unsigned cpu) {
  Worker& w = worker_[cpu];
  if (w.at != Work::Meet1 || !w.waiting_meet) return;
  if (arrived1_ == workers_) {  // all had arrived, holding for a patch: not quiescent any more
    leave_joint();
    ++detail("patch_arrivals_taken_back");
  }
  os::host_atomic_add(h, line_ + 8 * kMeet1, -1);
  --arrived1_;
  w.waiting_meet = false;
  w.waiting_inflight = true;  // the call's return wakes it
  w.at = Work::InFlight;
  set_activity(cpu, h.cycle(), Activity::Quiescence);
}

// Quiescence reached: nothing may still run in the old object. Negotiate the transfer.
void Mediator::check_quiescent(ppc::Hart& h) {
  quiescent_ = true;
  reach_safe_point(h);
  os::host_store(h, line_ + 8 * kProtocolWord, static_cast<uint64_t>(*protocol_));
}

// The second meeting's last worker: the GTT entry's root becomes the new object's.
void Mediator::swing_to_new(ppc::Hart& h) {
  auto& objects = ctx_.k.objects;
  root_keep_ = objects.swing_root(h, coid_, std::move(new_root_), objects.own_root_word(coid_));  // the mediator root, kept
  objects.set_impl_of(coid_, new_impl_);
  if (protocol_ == Protocol::ByReference) hand_over(h);  // the new implementation may run on the old reps now
  // CPUs that met the mediator only through a miss during the swap have no
  // worker: their entries go back to the Default Object (their next call
  // misses into the new root) and their blocked calls are released from here.
  for (unsigned c = 0; c < cpus_; ++c) {
    if (worker_[c].assigned || !root_->rep_if_any(c)) continue;
    objects.reset_entry(h, c, coid_);
    set_phase(h, c, kPhaseDone);
    release_blocked(h, c);
  }
}

// Blocked calls of `cpu` resume as calls of the new object: `this` is the new
// rep, the method the new vtable's, the return address the caller's.
void Mediator::release_blocked(ppc::Hart& h, unsigned cpu, bool to_old) {
  auto& threads = ctx_.k.threads;
  for (const Blocked& b : blocked_[cpu]) {
    const uint64_t rep = to_old ? ctx_.k.objects.root(coid_).rep_for(cpu, ctx_.k.objects.heap()) : new_rep(cpu, &h);
    const uint64_t vt = os::host_load(h, rep);
    threads.redirect(b.tid, os::host_load(h, vt + 8 * b.method), rep);
    const uint64_t waited = h.cycle() - b.since;
    rec_[cpu].blocked_cycles_total += waited;
    rec_[cpu].blocked_cycles_max = std::max(rec_[cpu].blocked_cycles_max, waited);
    ++rec_[cpu].released;
    held_log_.push_back({b.tid, cpu, b.since, h.cycle(), h.id()});
    threads.note_held(b.tid, coid_, waited);
    if (threads.thread(b.tid).state != os::ThreadState::Blocked)
      ctx_.oracle.report({h.cycle(), cpu, static_cast<int>(b.tid), label_, "a blocked call was released twice",
                          static_cast<int>(id_)});
    threads.wake(b.tid, h.cycle());
  }
  blocked_[cpu].clear();
}

void Mediator::finish_if_done(ppc::Hart& h) {
  if (done_ < workers_) return;
  finish(h);  // CPUs run up to a quantum apart: the swap ends with the latest Complete
  for (unsigned c = 0; c < cpus_; ++c)
    if (rec_[c].blocked != rec_[c].released)
      ctx_.oracle.report({h.cycle(), c, -1, label_,
                          fmt::format("{} calls blocked on cpu {} but {} released", rec_[c].blocked, c, rec_[c].released),
                          static_cast<int>(id_)});
}

// The mediation routine (patent 0039-0040), on the calling thread.
ppc::HartAction Mediator::intercept(ppc::Hart& h, unsigned method) {
  auto& k = ctx_.k;
  const unsigned cpu = h.id();
  const os::Thread* t = k.threads.current(cpu);
  if (!t) {
    h.raise_trap("a call reached a hot-swap mediator outside any thread");
    return ppc::HartAction::Fault;
  }
  auto& s = h.state();  // the stub loaded the phase word; here the host decides
  const uint8_t p = phase_[cpu];
  // In Block, a thread already in a forwarded call (of any mediator: a.m forwarded calls b.n while b blocks)
  // is let through, or swaps of objects calling each other would wait for each other. Only until the first
  // meeting: from then on the old object is quiescent and every call blocks.
  // In a patch, also a nested call from a thread whose call executes another member's object (it may have
  // entered it before that member interposed, so it is not forwarded, and that member's generations wait for it).
  const bool forward = p == kInterpose || p == kForward ||
                       (p == kBlock && !quiescent_ &&
                        (routine_.forwarded[t->id] > 0 ||
                         (patch_ && !k.facts.in_request_loop(s.lr) && patch_->in_other_member(t->id, *this))));
  if (joint_ == Joint::Aborted || p == kPhaseDone) {  // interception over: straight to the new object (or back to the old)
    os::Root& old = old_root_ ? *old_root_ : k.objects.root(coid_);
    const uint64_t rep = joint_ == Joint::Aborted ? old.rep_for(cpu, k.objects.heap()) : new_rep(cpu, &h);
    s.gpr[3] = rep;
    s.pc = os::host_load(h, os::host_load(h, rep) + 8 * method);
    return ppc::HartAction::Continue;
  }
  if (forward) {
    // Forwarded: the guest code counts it in flight, remembers where it returns (hash table by thread),
    // marks the thread and calls the old rep (mediation_code.h); the host keeps the same books.
    ++in_flight_[cpu];
    ++routine_.forwarded[t->id];
    ++rec_[cpu].forwarded;
    if (p == kBlock) call_after_count(h, cpu);
    const uint64_t rep = old_root_ ? old_root_->rep_for(cpu, k.objects.heap(), &h) : 0;
    if (!rep) {
      h.raise_trap("a forwarded call found no old object");
      return ppc::HartAction::Fault;
    }
    note_old_rep(rep);
    if (old_rep_[cpu] != rep) os::host_store(h, rep_word(cpu, kOldRepWord), rep), old_rep_[cpu] = rep;
    routine_.returns[t->id].emplace_back(this, s.lr);
    s.gpr[11] = t->descriptor;
    s.gpr[12] = 8 * uint64_t{method};
    s.pc = routine_.forward_code;
    return ppc::HartAction::Continue;
  }
  // Block: the thread leaves the CPU until the Complete phase releases it. A
  // call made at top level (returning to the request loop) leaves the thread
  // in no object while it waits: it does not hold its generation, or two
  // swaps blocking each other's old threads would wait for ever.
  blocked_[cpu].push_back({t->id, method, h.cycle()});
  ++rec_[cpu].blocked;
  os::host_atomic_add(h, rep_word(cpu, kBlockedWord), 1);
  return k.threads.park_current(h, k.facts.in_request_loop(s.lr));
}

void Mediator::returned(ppc::Hart& h, uint64_t lr) {
  auto& k = ctx_.k;
  const unsigned cpu = h.id();
  const os::Thread* t = k.threads.current(cpu);
  // The guest code looks the return address up, unmarks the thread and counts the call out. The host's
  // books change here: the call has left the old object.
  auto& s = h.state();
  s.gpr[11] = t->descriptor;
  s.gpr[12] = rep_word(cpu, 0);
  s.lr = lr;
  s.pc = routine_.return_code;
  --routine_.forwarded[t->id];
  --in_flight_[cpu];
  Worker& w = worker_[cpu];
  if (!in_flight_[cpu] && w.waiting_inflight) {
    w.waiting_inflight = false;
    k.threads.wake(static_cast<unsigned>(w.tid), h.cycle());
  }
}

std::string Mediator::describe() const {
  static const char* const kWork[] = {"start", "generation wait", "block", "in-flight wait", "meeting 1",
                                      "transfer", "meeting 2", "swing", "complete"};
  std::string out = fmt::format("swap {} of {}: {} workers, met {}/{} then {}/{}", id_, label_, workers_, arrived1_,
                                workers_, arrived2_, workers_);
  for (unsigned c = 0; c < cpus_; ++c) {
    const Worker& w = worker_[c];
    if (!w.assigned && !root_) continue;
    out += fmt::format("; cpu {}: phase {}, worker {} ({}{}{}{}), {} in flight, {} blocked", c, phase_name(c),
                       w.assigned ? (w.tid < 0 ? "not started" : "running") : "none",
                       kWork[static_cast<unsigned>(w.at)], w.waiting_gen ? ", waits for its generation" : "",
                       w.waiting_inflight ? ", waits for calls in flight" : "",
                       w.waiting_meet ? ", waits at the meeting" : "", in_flight_[c], blocked_[c].size());
    if (w.waiting_gen) {
      const os::GenerationCount& gen = ctx_.k.threads.generation(c);
      out += fmt::format(" (generation {}: {} threads, the previous one: {}; {} of {} swaps done)", gen.current(),
                         gen.active(gen.current()), gen.active(gen.current() + 1), gen.swaps(), gen_target_[c]);
    }
  }
  return out;
}

void Mediator::poll(ppc::Hart& h) {
  Worker& w = worker_[h.id()];
  const os::GenerationCount& gen = ctx_.k.threads.generation(h.id());
  // Drained, or someone else (the token) swapped meanwhile: the worker looks again.
  if (w.waiting_gen && (gen.previous_drained() || gen.swaps() >= gen_target_[h.id()])) {
    w.waiting_gen = false;
    ctx_.k.threads.wake(static_cast<unsigned>(w.tid), h.cycle());
  }
}

}  // namespace quiesce::hotswap

namespace quiesce::hotswap {

// Its patch decided. Committed: the workers holding at the first meeting go on. Given up: every worker
// that waits is woken to leave, and a thread on this CPU undoes the interposition.
void Mediator::resume_joint(ppc::Hart& h) {
  for (unsigned c = 0; c < cpus_; ++c) {
    Worker& w = worker_[c];
    if (w.tid < 0) continue;
    if (joint_ == Joint::Committed) {  // meet() sees waiting_meet and goes on to Transfer
      if (w.waiting_meet) ctx_.k.threads.wake(static_cast<unsigned>(w.tid), h.cycle());
      continue;
    }
    if (!(w.waiting_meet || w.waiting_gen || w.waiting_inflight)) continue;
    w.waiting_meet = w.waiting_gen = w.waiting_inflight = false;
    ctx_.k.threads.wake(static_cast<unsigned>(w.tid), h.cycle());
  }
  if (joint_ == Joint::Aborted && old_root_)
    spawn(h, h.id(), fmt::format("swap {} going back", id_), [this](ppc::Hart& hh, const os::Thread&) { return go_back(hh); });
}

// Going back (its patch gave up): under the GTT entry's lock the old root returns, every CPU's LTT entry is
// reset (its next call misses into the old object) and the blocked calls resume as calls of the old object.
// Forwarded calls still in the old object return through the mediation routine as before.
Step Mediator::go_back(ppc::Hart& h) {
  auto& objects = ctx_.k.objects;
  h.charge(step_cycles_);
  if (!back_locked_) {
    if (!lock_root(h)) return Step::Again;
    back_locked_ = true;
  }
  root_keep_ = objects.swing_root(h, coid_, std::move(old_root_), objects.own_root_word(coid_));
  objects.unlock_root(h, coid_);
  for (unsigned c = 0; c < cpus_; ++c) {
    if (root_->rep_if_any(c)) objects.reset_entry(h, c, coid_);
    release_blocked(h, c, true);
    set_phase(h, c, kPhaseDone);
    if (rec_[c].blocked != rec_[c].released)
      ctx_.oracle.report({h.cycle(), c, -1, label_,
                          fmt::format("{} calls blocked on cpu {} but {} released", rec_[c].blocked, c, rec_[c].released),
                          static_cast<int>(id_)});
  }
  retire(h);  // the mediator's reps and line (the old object is the object again), by the strategy's rule
  give_up(h);
  return Step::Exit;
}

}  // namespace quiesce::hotswap
