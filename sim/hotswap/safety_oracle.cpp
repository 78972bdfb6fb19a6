#include "hotswap/safety_oracle.h"

#include <algorithm>

#include <fmt/format.h>

namespace quiesce::hotswap {


unsigned SafetyOracle::count_for(unsigned id) const {
  return static_cast<unsigned>(
      std::count_if(violations_.begin(), violations_.end(), [&](const Violation& v) { return v.swap == static_cast<int>(id); }));
}

void SafetyOracle::hand_over(const os::SwapInterface& k, unsigned swap, unsigned coid, unsigned old_impl,
                             unsigned new_impl, bool by_reference, const os::ImplementationSpec& old_spec,
                             const std::vector<uint64_t>& reps, const std::string& object, uint64_t cycle) {
  if (!k_) k_.emplace(k);
  reclaim(new_impl, reps);
  handed_.push_back({swap, coid, old_impl, new_impl, by_reference, &old_spec, reps, object, cycle});
  watch(k, old_impl);
}

void SafetyOracle::watch(const os::SwapInterface& k, unsigned impl) {
  if (watches_.count(impl)) return;
  auto& ids = watches_[impl];
  for (const auto& r : k.facts.code_ranges(impl))
    if (r.end > r.start)
      ids.push_back(k.hooks.watch_code(r.start, r.end, [this, impl](ppc::Hart& h, const os::Thread* t, uint64_t pc) {
        judge(h, t, pc, impl);
      }));
}

void SafetyOracle::freed(const os::SwapInterface& k, unsigned swap, unsigned coid, unsigned impl,
                         const os::ImplementationSpec& spec, const std::vector<uint64_t>& reps, const std::string& object,
                         uint64_t cycle) {
  if (!k_) k_.emplace(k);
  for (uint64_t r : reps) freed_[r] = Freed{swap, impl, coid, k.facts.incarnation(coid), &spec, object, cycle};
  watch(k, impl);
}

void SafetyOracle::forget(uint64_t addr) {
  std::vector<unsigned> impls;
  for (HandOver& x : handed_)
    if (std::erase(x.reps, addr)) impls.push_back(x.impl);
  std::erase_if(handed_, [](const HandOver& x) { return x.reps.empty(); });
  if (k_)
    for (unsigned impl : impls) unwatch_if_unused(impl);
}

void SafetyOracle::reclaim(unsigned impl, const std::vector<uint64_t>& reps) {
  for (HandOver& x : handed_)
    if (x.impl == impl)
      std::erase_if(x.reps, [&](uint64_t r) { return std::find(reps.begin(), reps.end(), r) != reps.end(); });
  std::erase_if(handed_, [](const HandOver& x) { return x.reps.empty(); });
  if (k_) unwatch_if_unused(impl);
}

void SafetyOracle::unwatch_if_unused(unsigned impl) {
  const auto it = watches_.find(impl);
  if (it == watches_.end() || std::any_of(handed_.begin(), handed_.end(), [&](const HandOver& x) { return x.impl == impl; }) ||
      std::any_of(freed_.begin(), freed_.end(), [&](const auto& f) { return f.second.impl == impl; }))
    return;
  for (const auto id : it->second) k_->hooks.unwatch_code(id);
  watches_.erase(it);
}

unsigned SafetyOracle::seemingly_inside(const os::SwapInterface& k, unsigned impl, const std::vector<uint64_t>& reps) {
  constexpr unsigned kMaxFrames = 4096;
  auto& mem = k.facts.memory();
  const auto& ranges = k.facts.code_ranges(impl);
  auto method_at = [&](uint64_t pc) -> const os::KernelFacts_if::CodeRange* {
    for (const auto& r : ranges)
      if (pc >= r.start && pc < r.end) return &r;
    return nullptr;
  };
  auto is_old = [&](uint64_t rep) { return std::find(reps.begin(), reps.end(), rep) != reps.end(); };
  auto load = [&](uint64_t a) { return mem.contains(a, 8) ? mem.load<uint64_t>(a) : 0; };
  unsigned found = 0;
  for (unsigned id = 0; id < k.threads.count(); ++id) {
    const os::Thread& t = k.threads.thread(id);
    if (t.state == os::ThreadState::Free || t.system) continue;
    const ppc::ArchState& s = k.threads.registers(id);
    // The current activation: `this` in its frame once the prologue ran, else in r3 (and then r1 and LR
    // are still its caller's); older ones: each saved return address's owner, `this` in its frame.
    const auto* m = method_at(s.pc);
    bool inside = false;
    if (m && m->frame && s.pc >= m->start + os::kPrologueBytes) {
      inside = is_old(load(s.gpr[1] + os::kThisSlot));
    } else {
      inside = m && is_old(s.gpr[3]);
      if (const auto* caller = method_at(s.lr); caller && caller->frame)
        inside = inside || is_old(load(s.gpr[1] + os::kThisSlot));
    }
    uint64_t frame = load(s.gpr[1]);
    for (unsigned n = 0; !inside && frame && n < kMaxFrames; ++n, frame = load(frame))
      if (const auto* owner = method_at(load(frame + 16)); owner && owner->frame)
        inside = is_old(load(frame + os::kThisSlot));
    found += inside;
  }
  return found;
}

// One watched instruction of implementation `impl`, about to run on h for thread t.
void SafetyOracle::judge(ppc::Hart& h, const os::Thread* t, uint64_t pc, unsigned impl) {
  if (!t || t->system) return;
  ++judged_;
  const auto& ranges = k_->facts.code_ranges(impl);
  unsigned method = 0;
  while (method < ranges.size() && !(pc >= ranges[method].start && pc < ranges[method].end)) ++method;
  if (method == ranges.size()) return;
  const auto& range = ranges[method];
  const ppc::ArchState& s = h.state();
  auto& mem = k_->facts.memory();
  uint64_t self = 0;
  if (range.frame) {  // a generated body: `this` in r3 until its prologue saved it in the frame
    self = pc >= range.start + os::kPrologueBytes ? mem.load<uint64_t>(s.gpr[1] + os::kThisSlot) : s.gpr[3];
  } else {  // compiled from C: `this` is r3 at entry; the activations entered while watched are remembered
    if (activations_.size() <= t->id) activations_.resize(t->id + 1);
    auto& stack = activations_[t->id];
    const uint64_t sp = s.gpr[1];
    if (pc == range.start) {
      while (!stack.empty() && stack.back().sp <= sp) stack.pop_back();  // not enclosing this one: returned
      stack.push_back({sp, s.gpr[3], impl, method});
      self = s.gpr[3];
    } else {
      while (!stack.empty() && stack.back().sp < sp) stack.pop_back();
      for (auto a = stack.rbegin(); a != stack.rend() && !self; ++a)
        if (a->impl == impl && a->method == method) self = a->self;
      if (!self && t->call_under_way() && t->call_impl == impl)  // entered before the watch: its top-level call
        for (const HandOver& x : handed_)
          if (x.coid == t->call_coid && x.impl == impl && !x.reps.empty()) self = x.reps.front();
    }
  }
  if (!self) return;
  for (const HandOver& x : handed_) {
    if (x.impl != impl || std::find(x.reps.begin(), x.reps.end(), self) == x.reps.end()) continue;
    if (h.cycle() < x.cycle) continue;  // a CPU behind in time (within its quantum): before the hand-over
    if (x.by_reference && std::any_of(k_->facts.code_ranges(x.new_impl).begin(), k_->facts.code_ranges(x.new_impl).end(),
                                      [pc](const auto& r) { return pc >= r.start && pc < r.end; }))
      continue;  // the new implementation's code too, on the same reps: not the old one's to judge
    if (!reported_.insert({x.swap, t->id, t->call_start}).second) return;
    report({h.cycle(), h.id(), static_cast<int>(t->id), x.object,
            fmt::format("thread {} (cpu {}) executed {}::{} at 0x{:x} for {} (rep 0x{:x}) after its state was "
                        "handed over at cycle {}",
                        t->id, h.id(), x.spec->name,
                        method < x.spec->methods.size() ? x.spec->methods[method].name : "?", pc, x.object, self,
                        x.cycle),
            static_cast<int>(x.swap)});
    return;
  }
  // Not a hand-over's: a use after free, if the rep was freed and is still free; or if it has been handed out
  // again (its hand-over is forgotten then) while this thread is still in the call to that life of the
  // object it began before the free (a stale reference), unless the block is now a rep of this implementation
  // of that object or of the one the thread's call is to (a held call re-bound to the new rep, a swap back:
  // in use legitimately). Nested calls are not judged after a reuse: a miss rather than a false alarm.
  const auto legit = [&](unsigned coid) {
    if (k_->objects.impl_of(coid) != impl) return false;
    const os::Root& root = k_->objects.root(coid);
    for (unsigned c = 0; c < k_->facts.cpus(); ++c)  // (any CPU's: a thread may have moved since its call began)
      if (root.rep_if_any(c) == self) return true;
    return swap_reps_ && swap_reps_(self, impl);  // an object's rep while a swap has its root out
  };
  const auto stale = [&](const Freed& x) {
    return t->call_under_way() && t->call_coid == x.coid && t->call_incarnation == x.incarnation &&
           t->call_start < x.cycle && !legit(x.coid);
  };
  if (const auto f = freed_.find(self); f != freed_.end() && f->second.impl == impl && h.cycle() >= f->second.cycle &&
                                         (k_->objects.heap().is_free(self) || stale(f->second))) {
    const Freed& x = f->second;
    const bool swap = x.swap != kNoSwap;
    if (!reported_.insert({x.swap, t->id, t->call_start}).second) return;
    report({h.cycle(), h.id(), static_cast<int>(t->id), x.object,
            fmt::format("use after free: thread {} (cpu {}) executed {}::{} at 0x{:x} for {} on rep 0x{:x}, freed at "
                        "cycle {} {}",
                        t->id, h.id(), x.spec->name, method < x.spec->methods.size() ? x.spec->methods[method].name : "?",
                        pc, x.object, self, x.cycle,
                        swap ? fmt::format("after swap {}", x.swap) : std::string("after its destruction")),
            swap ? static_cast<int>(x.swap) : -1});
    return;
  }
}

}  // namespace quiesce::hotswap
