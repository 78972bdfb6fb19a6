#include "hotswap/swap.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "diag/log.h"


namespace quiesce::hotswap {

Swap::Swap(SwapContext& ctx, const StrategyInfo& strategy, unsigned id, unsigned coid, unsigned new_impl,
           std::string label)
    : ctx_(ctx),
      id_(id),
      coid_(coid),
      old_impl_(ctx.k.objects.impl_of(coid)),
      new_impl_(new_impl),
      info_(strategy),
      label_(std::move(label)),
      cpus_(ctx.k.facts.cpus()),
      phase_(cpus_, kPhaseNone),
      rec_(cpus_),
      ledger_(cpus_) {
  for (auto& r : rec_)
    r.start.assign(info_.phases.size(), 0), r.end.assign(info_.phases.size(), 0), r.split.assign(info_.phases.size(), {});
}

std::string Swap::phase_name(unsigned cpu) const {
  const uint8_t p = phase_[cpu];
  return p == kPhaseNone ? "none" : p == kPhaseDone ? "done" : info_.phases[p];
}


void Swap::launch(ppc::Hart& h, std::function<void(ppc::Hart&)> done, os::SwapThreads_if::SystemBody body) {
  auto& k = ctx_.k;
  started_ = true;
  done_cb_ = std::move(done);
  start_cycle_ = h.cycle();
  new_root_ = std::make_unique<os::Root>(label_, ctx_.impls[new_impl_].root, k.objects.rep_template(coid_, new_impl_, &h), cpus_);
  rec_[h.id()].worker = true;
  spawn(h, h.id(), fmt::format("swap {} {}", id_, info_.name), std::move(body));
}

// A phase entered again (stack tracing's retries) is recorded afresh: the
// last attempt; the earlier ones count in the swap's details, and their time in `retried`.
void Swap::record_phase(uint64_t now, unsigned cpu, uint8_t p) {
  const size_t phases = info_.phases.size();
  CpuSwapRecord& r = rec_[cpu];
  account(cpu, now);
  if (const uint8_t old = phase_[cpu]; old < phases && r.start[old] && !r.end[old]) r.end[old] = now;
  phase_[cpu] = p;
  QLOG(Swap, Debug, now, cpu, "swap {} of {} ({}): phase {}", id_, label_, info_.name, phase_name(cpu));
  if (p < phases) {
    if (r.start[p]) {  // an earlier attempt: its time moves to `retried`
      for (unsigned a = 0; a < kActivities; ++a) r.retried[a] += r.split[p][a];
      r.split[p] = {};
      std::vector<ActivitySpan> spans;  // relabelled, neighbours that now agree merged
      for (ActivitySpan sp : r.spans) {
        if (sp.phase == p) sp.phase = kPhaseRetried;
        append_span(spans, sp);
      }
      r.spans = std::move(spans);
    }
    r.start[p] = now, r.end[p] = 0;
  }
  if (p == kPhaseDone) ledger_[cpu].open = false;
}

void Swap::account(unsigned cpu, uint64_t now) {
  Ledger& l = ledger_[cpu];
  if (!l.open || now <= l.since) return;  // CPUs' clocks run up to a quantum apart: time never runs back
  CpuSwapRecord& r = rec_[cpu];
  const uint8_t p = phase_[cpu];
  const bool in_phase = p < r.start.size() && r.start[p];
  const auto a = static_cast<unsigned>(l.what);
  (in_phase ? r.split[p] : r.before)[a] += now - l.since;
  append_span(r.spans, {l.since, now, in_phase ? p : kPhaseNone, l.what});
  l.since = now;
}

void Swap::append_span(std::vector<ActivitySpan>& spans, const ActivitySpan& sp) {
  if (!spans.empty() && spans.back().end == sp.start && spans.back().phase == sp.phase && spans.back().what == sp.what)
    spans.back().end = sp.end;  // the same stretch, going on
  else
    spans.push_back(sp);
}

void Swap::set_activity(unsigned cpu, uint64_t now, Activity a) {
  Ledger& l = ledger_[cpu];
  if (!l.open) {
    if (phase_[cpu] == kPhaseDone) return;
    l.open = true, l.since = now;
  } else if (l.what == a) {
    return account(cpu, now);
  }
  account(cpu, now);
  l.what = a;
  static constexpr const char* kWhat[kActivities] = {"works", "waits for its CPU", "waits for quiescence",
                                                     "waits for other CPUs"};
  QLOG(Strategy, Debug, now, cpu, "swap {} ({}), phase {}: {}", id_, info_.name, phase_name(cpu),
       kWhat[static_cast<unsigned>(a)]);
}

void Swap::spawn(ppc::Hart& h, unsigned cpu, std::string name, os::SwapThreads_if::SystemBody body) {
  set_activity(cpu, h.cycle(), Activity::Cpu);
  ledger_[cpu].blocked = false;
  ctx_.k.threads.spawn_system_thread(
      h, cpu, std::move(name), [this, cpu, body = std::move(body)](ppc::Hart& hh, const os::Thread& t) {
        Ledger& l = ledger_[cpu];
        if (l.blocked) {  // what it waited on, until the kernel made it runnable; then the CPU
          account(cpu, std::min(t.runnable_since, hh.cycle()));
          l.what = Activity::Cpu;
          l.blocked = false;
        } else if (t.runnable_since > l.since && t.runnable_since < hh.cycle()) {  // preempted meanwhile
          const Activity was = l.what;
          account(cpu, t.runnable_since);
          l.what = Activity::Cpu;
          account(cpu, hh.cycle());
          l.what = was;
        }
        if (l.what == Activity::Cpu) set_activity(cpu, hh.cycle(), Activity::Mechanism);
        return body(hh, t);
      });
}

bool Swap::lock_root(ppc::Hart& h) {
  const bool locked = ctx_.k.objects.lock_root(h, coid_);
  set_activity(h.id(), h.cycle(), locked ? Activity::Mechanism : Activity::OtherCpus);
  return locked;
}

os::SystemStep Swap::block(ppc::Hart& h, Activity why) {
  set_activity(h.id(), h.cycle(), why);
  ledger_[h.id()].blocked = true;
  return os::SystemStep::Block;
}

void Swap::note_old_reps() {
  const os::Root& root = old_root_ ? *old_root_ : ctx_.k.objects.root(coid_);
  for (unsigned c = 0; c < cpus_; ++c)
    if (const uint64_t rep = root.rep_if_any(c))
      note_old_rep(rep);
}

void Swap::reach_safe_point(ppc::Hart& h) {
  safe_cycle_ = h.cycle();
  QLOG(Swap, Info, h.cycle(), h.id(), "swap {} of {} ({}): safe point reached", id_, label_, info_.name);
  note_old_reps();
  // How many threads seem to be inside the old object here (0 for a strategy that keeps its claim).
  detail("threads_inside") = SafetyOracle::seemingly_inside(ctx_.k, old_impl_, old_reps_);
  const auto& from = ctx_.impls[old_impl_];
  const auto& to = ctx_.impls[new_impl_];
  const bool same_layout = from.state_bytes == to.state_bytes && from.shared_state_bytes == to.shared_state_bytes &&
                           from.root == to.root;
  protocol_ = negotiate(ctx_.spec.transfer[old_impl_], ctx_.spec.transfer[new_impl_], same_layout);
  if (!protocol_) protocol_ = Protocol::Transform;  // the scenario reader guarantees a common protocol
  if (*protocol_ != Protocol::ByReference) hand_over(h);  // the transfer starts: the old state is the new one's
}

void Swap::hand_over(ppc::Hart& h) {
  ctx_.oracle.hand_over(ctx_.k, id_, coid_, old_impl_, new_impl_, protocol_ == Protocol::ByReference,
                        ctx_.impls[old_impl_], old_reps_, label_, h.cycle());
}

uint64_t Swap::new_rep(unsigned cpu, ppc::Hart* h) {
  os::Root& r = new_root_ ? *new_root_ : ctx_.k.objects.root(coid_);
  return r.rep_for(cpu, ctx_.k.objects.heap(), h);
}

void Swap::transfer_part(ppc::Hart& h, unsigned cpu, unsigned rank, unsigned parts) {
  auto& k = ctx_.k;
  const auto& from = ctx_.impls[old_impl_];
  const auto& to = ctx_.impls[new_impl_];
  const TransferSpec& cost = ctx_.spec.transfer[new_impl_];
  const uint32_t line = k.facts.line_bytes();
  const Protocol p = *protocol_;
  const os::Root& old_root = old_root_ ? *old_root_ : k.objects.root(coid_);
  const bool old_shared = from.root == os::RootKind::Shared, new_shared = to.root == os::RootKind::Shared;
  TransferTally tally;
  auto add = [&](TransferTally t) { tally.bytes += t.bytes, tally.lines += t.lines; };
  if (p == Protocol::ByReference) {  // same layout: the old reps become the new object's
    // And its shared state: reps the new root makes later (a CPU with no old rep) point to the one the
    // adopted reps do. The new root's own, never used, goes with the leftovers (retire).
    if (const uint64_t old_state = old_root.rep_template().shared, fresh = new_root_->rep_template().shared;
        !unused_shared_ && old_state && fresh != old_state && !new_root_->reps_created()) {
      unused_shared_ = fresh;
      new_root_->adopt_shared(old_state);
    }
    const uint64_t rep = old_shared ? (rank == 0 ? old_root.rep_if_any(0) : 0) : old_root.rep_if_any(cpu);
    if (rep) {
      add(adopt_by_reference(h, cost, rep, k.objects.vtable(new_impl_)));
      new_root_->adopt(old_shared ? 0 : cpu, rep);
    }
  } else {
    const uint64_t bytes = std::min(from.state_bytes, to.state_bytes);
    const uint64_t state = os::RepLayout::kState;
    if (old_shared) {
      // The one old rep, split by lines among the parts; a per-CPU new root gets it on the first part's CPU.
      if (const uint64_t src = old_root.rep_if_any(0)) {
        const uint64_t dst = new_shared ? new_rep(0, &h) : (rank == 0 ? new_rep(cpu, &h) : 0);
        const uint64_t lines = (bytes + line - 1) / line;
        for (uint64_t l = new_shared ? rank : 0; dst && l < lines; l += new_shared ? parts : 1)
          add(transfer_state(h, p, cost, src + state + l * line, dst + state + l * line,
                             std::min<uint64_t>(line, bytes - l * line), line));
      }
    } else if (const uint64_t src = old_root.rep_if_any(cpu)) {
      // This CPU's rep: to its new rep, or added into the one new shared rep (per-CPU counts merge).
      add(transfer_state(h, p, cost, src + state, new_rep(new_shared ? 0 : cpu, &h) + state, bytes, line, new_shared));
    }
    if (rank == 0) {
      const uint64_t shared = std::min(from.shared_state_bytes, to.shared_state_bytes);
      const uint64_t src = old_root.rep_template().shared, dst = new_root_->rep_template().shared;
      if (src && dst && shared) add(transfer_state(h, p, cost, src, dst, shared, line));
    }
  }
  rec_[h.id()].bytes += tally.bytes;
  rec_[h.id()].lines += tally.lines;
}

void Swap::transfer_all(ppc::Hart& h) {
  const bool old_shared = ctx_.impls[old_impl_].root == os::RootKind::Shared;
  for (unsigned c = 0, parts = 0; c < cpus_; ++c) {
    if (old_shared && c > 0) break;
    transfer_part(h, c, parts++ == 0 ? 0 : 1, 1);
  }
}

void Swap::swing(ppc::Hart& h, bool hand_over_by_reference) {
  auto& objects = ctx_.k.objects;
  std::vector<unsigned> had;
  for (unsigned c = 0; c < cpus_; ++c)
    if (objects.installed(coid_, c)) had.push_back(c);
  old_root_ = objects.swing_root(h, coid_, std::move(new_root_), objects.own_root_word(coid_));
  objects.set_impl_of(coid_, new_impl_);
  if (protocol_ == Protocol::ByReference && hand_over_by_reference) hand_over(h);  // the new one may run on them now
  for (unsigned c : had) objects.install_entry(h, c, coid_, new_rep(c, &h));
}

void Swap::finish(ppc::Hart& h) {
  finished_ = true;
  end_cycle_ = h.cycle();
  for (const auto& r : rec_)  // the last phase (complete) ends last
    if (!r.end.empty()) end_cycle_ = std::max(end_cycle_, r.end.back());
  QLOG(Swap, Info, h.cycle(), h.id(), "swap {} of {} ({}): completed", id_, label_, info_.name);
  retire(h);
  if (done_cb_) done_cb_(h);
}

bool Swap::arrive_joint(ppc::Hart& h) {
  if (!patch_) {
    at_joint_point(h);  // (the Mediator's: the first meeting happened, calls block from now on)
    return true;
  }
  if (joint_ == Joint::Committed) return true;
  joint_ = Joint::Holding;
  arriving_ = true;
  patch_->ready(*this, h);  // the last member commits every member, this one included
  arriving_ = false;
  return joint_ == Joint::Committed;
}

void Swap::leave_joint() {
  if (joint_ != Joint::Holding) return;
  joint_ = Joint::None;
  patch_->unready(*this);
}

void Swap::commit_joint(ppc::Hart& h) {
  joint_ = Joint::Committed;
  at_joint_point(h);
  if (!arriving_) resume_joint(h);
}

void Swap::abort_joint(ppc::Hart& h) {
  if (ended() || joint_ == Joint::Aborted) return;
  joint_ = Joint::Aborted;
  QLOG(Swap, Info, h.cycle(), h.id(), "swap {} of {} ({}): its patch gave up, it goes back", id_, label_, info_.name);
  resume_joint(h);
}

bool Swap::holds_rep(uint64_t rep, unsigned impl) const {
  if (ended()) return false;
  const auto in = [&](const os::Root* r) {
    for (unsigned c = 0; r && c < cpus_; ++c)
      if (r->rep_if_any(c) == rep) return true;
    return false;
  };
  return (impl == old_impl_ && (is_old_rep(rep) || in(old_root_.get()))) || (impl == new_impl_ && in(new_root_.get()));
}

uint64_t Swap::work_block(ppc::Hart& h, const std::string& name, uint64_t bytes) {
  const uint64_t b = ctx_.k.objects.heap().allocate_block(&h, h.id(), name, std::max<uint64_t>(8, bytes), false);
  work_blocks_.push_back(b);
  return b;
}

void Swap::free_early(ppc::Hart& h) {
  if (!ctx_.reclaimer) return;
  auto& heap = ctx_.k.objects.heap();
  const os::Root& root = ctx_.k.objects.root(coid_);
  Garbage g{id_, coid_, label_, static_cast<int>(old_impl_), {}, {}};
  for (unsigned c = 0; c < cpus_; ++c)
    if (const uint64_t r = root.rep_if_any(c); r && !heap.is_free(r) && heap.block_bytes(r) &&
                                               std::find(g.reps.begin(), g.reps.end(), r) == g.reps.end())
      g.reps.push_back(r), mem_.old_bytes += heap.block_bytes(r);
  freed_early_ = g.reps;
  mem_.retired_cycle = h.cycle();
  ctx_.reclaimer->retire(h, Reclaim::AtStart, std::move(g), [this](uint64_t at) { mem_.freed_cycle = at, mem_.freed = true; });
}

void Swap::retire(ppc::Hart& h) {
  if (!ctx_.reclaimer) return;
  auto& heap = ctx_.k.objects.heap();
  const os::Root& now = ctx_.k.objects.root(coid_);
  auto has = [](const std::vector<uint64_t>& v, uint64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  std::vector<uint64_t> live;  // the object's reps now
  for (unsigned c = 0; c < cpus_; ++c)
    if (const uint64_t r = now.rep_if_any(c); r && !has(live, r)) live.push_back(r);
  std::vector<uint64_t> old = old_reps_;
  if (old_root_)
    for (unsigned c = 0; c < cpus_; ++c)
      if (const uint64_t r = old_root_->rep_if_any(c); r && !has(old, r)) old.push_back(r);
  Garbage g{id_, coid_, label_, static_cast<int>(old_impl_), {}, {}};
  auto usable = [&](uint64_t b) { return b && !heap.is_free(b) && heap.block_bytes(b) && !has(freed_early_, b); };
  for (uint64_t r : old)
    if (usable(r) && !has(live, r) && !has(g.reps, r)) g.reps.push_back(r), mem_.old_bytes += heap.block_bytes(r);
  const uint64_t new_shared = now.rep_template().shared;
  // The old object's shared state: what its freed reps point to (word 1; a rep adopted by reference in an
  // earlier swap points to the state it came with), or its root's own if it made no rep; never one a rep
  // of the object still points to.
  auto& mem = ctx_.k.facts.memory();
  std::vector<uint64_t> shared_old;
  for (uint64_t r : g.reps)
    if (const uint64_t s = mem.load<uint64_t>(r + 8); s && !has(shared_old, s)) shared_old.push_back(s);
  if (old_root_ && old.empty()) shared_old.push_back(old_root_->rep_template().shared);
  for (uint64_t s : shared_old) {
    bool used = s == new_shared;
    for (uint64_t r : live) used = used || mem.load<uint64_t>(r + 8) == s;
    if (!used && usable(s) && !has(g.blocks, s)) g.blocks.push_back(s), mem_.old_bytes += heap.block_bytes(s);
  }
  // The shared state the new root was made with and never used (a swap by reference kept the old one):
  // made for the swap and not kept, freed with its scaffolding.
  if (unused_shared_ && usable(unused_shared_) && unused_shared_ != new_shared && !has(g.blocks, unused_shared_)) {
    bool used = false;
    for (uint64_t r : live) used = used || mem.load<uint64_t>(r + 8) == unused_shared_;
    if (!used) g.blocks.push_back(unused_shared_), mem_.scaffold_bytes += heap.block_bytes(unused_shared_);
  }
  for (uint64_t r : live)
    if (!has(old, r)) mem_.new_bytes += heap.block_bytes(r);
  if (old_root_ && new_shared != old_root_->rep_template().shared) mem_.new_bytes += heap.block_bytes(new_shared);
  for (uint64_t b : scaffolding())
    if (usable(b) && !has(g.blocks, b) && !has(live, b)) g.blocks.push_back(b), mem_.scaffold_bytes += heap.block_bytes(b);
  mem_.retired_cycle = h.cycle();
  // An at_start rule already gave the old reps back; what is left (the scaffolding, reps made since) goes now.
  const Reclaim rule = info_.reclaim == Reclaim::AtStart ? Reclaim::AtEnd : info_.reclaim;
  ctx_.reclaimer->retire(h, rule, std::move(g), [this](uint64_t at) {
    mem_.freed_cycle = at, mem_.freed = true, scaffolding_freed_ = true;
  });
}

void Swap::give_up(ppc::Hart& h) {
  given_up_ = true;
  if (patch_) patch_->gave_up(*this, h);  // every other member goes back too
  QLOG(Swap, Warn, h.cycle(), h.id(), "swap {} of {} ({}): given up, the old object stays", id_, label_, info_.name);
  if (done_cb_) done_cb_(h);
}

uint64_t& Swap::detail(const char* name) {
  for (auto& [n, v] : details_)
    if (n == name) return v;
  return details_.emplace_back(name, 0).second;
}

std::vector<DetailRow>& Swap::table(const char* name) {
  for (auto& [n, rows] : tables_)
    if (n == name) return rows;
  return tables_.emplace_back(name, std::vector<DetailRow>{}).second;
}

os::SystemStep Swap::sleep(ppc::Hart& h, unsigned tid, uint64_t cycles, Activity why) {
  ctx_.k.threads.wake(tid, h.cycle() + std::max<uint64_t>(1, cycles));
  return block(h, why);
}

uint64_t Swap::us_to_cycles(double us) const {
  return ctx_.k.us_to_cycles(us);
}

}  // namespace quiesce::hotswap
