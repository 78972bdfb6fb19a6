#include "hotswap/dynamic_update.h"

#include "hotswap/patch.h"

#include <algorithm>
#include <memory>


namespace quiesce::hotswap {

using Step = os::SystemStep;

namespace {

// A marked instance's root: the first miss after marking starts its swap (from
// that CPU's next kernel entry, when no miss holds the entry's lock) and is
// itself served by the old object as usual.
class LazyRoot final : public os::Root {
 public:
  LazyRoot(std::unique_ptr<os::Root> inner, unsigned cpus, std::function<void(unsigned cpu)> trigger)
      : os::Root(inner->name(), inner->kind(), inner->rep_template(), cpus),
        inner_(std::move(inner)),
        trigger_(std::move(trigger)) {}
  uint64_t rep_for(unsigned cpu, os::GuestHeap& heap, ppc::Hart* h = nullptr) override {
    if (!fired_) fired_ = true, trigger_(cpu);
    return inner_->rep_for(cpu, heap, h);
  }
  // The reps are the wrapped root's: a swap or an audit reading them must see the real ones.
  uint64_t rep_if_any(unsigned cpu) const override { return inner_ ? inner_->rep_if_any(cpu) : 0; }
  std::unique_ptr<os::Root> unwrap() { return std::move(inner_); }

 private:
  std::unique_ptr<os::Root> inner_;
  std::function<void(unsigned)> trigger_;
  bool fired_ = false;
};
}  // namespace

DynamicUpdate::DynamicUpdate(os::SwapInterface k, const UpdateEvent& e, unsigned new_impl, uint32_t step_cycles,
                             StartSwap swap, std::function<bool(unsigned)> swapping)
    : k_(k), ev_(e), new_impl_(new_impl), step_cycles_(step_cycles), swap_(std::move(swap)), swapping_(std::move(swapping)) {
  rec_.class_name = e.class_name;
  rec_.to_version = e.to_version;
  rec_.lazy = e.lazy;
}

void DynamicUpdate::start(ppc::Hart& h) {
  started_ = true;
  rec_.start_cycle = h.cycle();
  for (auto& f : k_.objects.factories())
    if (f.class_name() == ev_.class_name) factory_ = &f;
  if (!factory_) return;
  rec_.from_version = factory_->version();
  // The factory first: the new version's takes over the instance set.
  const uint64_t old = factory_->hot_swap(h, k_.objects.heap(), ev_.to_version);
  rec_.factory_done_cycle = h.cycle();
  if (old_table_) old_table_(h, old);
  for (unsigned coid : factory_->instances())
    if (k_.objects.impl_of(coid) != new_impl_) instances_.push_back(coid);
  rec_.instances = static_cast<unsigned>(instances_.size());
  if (instances_.empty()) {
    rec_.completed = true, rec_.end_cycle = h.cycle();
    if (on_complete_) on_complete_(rec_.end_cycle);
    return;
  }
  const unsigned cpus = k_.facts.cpus();
  if (!ev_.lazy) {
    for (unsigned c = 0; c < cpus; ++c) {
      auto next = std::make_shared<size_t>(c);
      auto waiting = std::make_shared<bool>(false);
      auto tid = std::make_shared<int>(-1);
      k_.threads.spawn_system_thread(h, c, "update worker " + ev_.class_name, [this, c, cpus, next, waiting, tid](ppc::Hart& hh, const os::Thread& t) {
        *tid = static_cast<int>(t.id);
        return eager_worker(hh, c, cpus, *next, *waiting, *tid);
      });
    }
  } else {
    k_.threads.spawn_system_thread(h, h.id(), "update marker " + ev_.class_name,
                                   [this](ppc::Hart& hh, const os::Thread&) { return marker(hh); });
  }
}

unsigned DynamicUpdate::prepare(ppc::Hart& h) {
  started_ = true;
  rec_.start_cycle = h.cycle();
  for (auto& f : k_.objects.factories())
    if (f.class_name() == ev_.class_name) factory_ = &f;
  if (!factory_) return 0;
  rec_.from_version = factory_->version();
  for (unsigned coid : factory_->instances())
    if (k_.objects.impl_of(coid) != new_impl_) instances_.push_back(coid);
  rec_.instances = static_cast<unsigned>(instances_.size());
  return rec_.instances;
}

void DynamicUpdate::start_in_patch(ppc::Hart& h, Patch& patch) {
  if (!factory_) return;
  patch.on_commit([this](ppc::Hart& hh) {
    const uint64_t old = factory_->hot_swap(hh, k_.objects.heap(), ev_.to_version);
    if (old_table_) old_table_(hh, old);
    rec_.factory_done_cycle = hh.cycle();
    if (instances_.empty()) {
      rec_.completed = true, rec_.end_cycle = hh.cycle();
      if (on_complete_) on_complete_(rec_.end_cycle);
    }
  });
  for (const unsigned coid : instances_) swap_(h, coid, [this, coid](ppc::Hart&, uint64_t end) { swapped(coid, end); });
}

// Eager: this CPU's worker swaps instances rank, rank + workers, ... one at a time.
Step DynamicUpdate::eager_worker(ppc::Hart& h, unsigned, unsigned workers, size_t& next, bool& waiting, int& tid) {
  if (waiting) return Step::Block;  // woken by the swap's completion below
  h.charge(step_cycles_);
  if (next >= instances_.size()) return Step::Exit;
  const unsigned coid = instances_[next];
  next += workers;
  waiting = true;
  swap_(h, coid, [this, coid, &waiting, &tid](ppc::Hart& hh, uint64_t end) {
    waiting = false;
    swapped(coid, end);
    k_.threads.wake(static_cast<unsigned>(tid), hh.cycle());
  });
  return waiting ? Step::Block : Step::Again;  // (a swap with nothing to do is done at once)
}

// Lazy: mark each instance — under its GTT lock, wrap its root and reset its
// LTT entries on every CPU that installed it, so its next call misses.
Step DynamicUpdate::marker(ppc::Hart& h) {
  auto& objects = k_.objects;
  h.charge(step_cycles_);
  if (marked_ == instances_.size()) {
    rec_.marked_cycle = h.cycle();
    return Step::Exit;
  }
  const unsigned coid = instances_[marked_];
  if (!k_.facts.live(coid)) {  // destroyed since the update began (object lifetimes): nothing to mark
    ++marked_;
    return Step::Again;
  }
  if (!locked_) {
    if (!objects.lock_root(h, coid)) return Step::Again;
    locked_ = true;
  }
  if (swapping_(coid)) {
    // Mid-swap: that swap owns the root until it completes (wrapping it would take the old object
    // from under it). This instance's swap waits behind it instead, as a call would have started it.
    objects.unlock_root(h, coid);
    locked_ = false;
    ++marked_;
    swap_(h, coid, [this, coid](ppc::Hart&, uint64_t end) { swapped(coid, end); });
    return Step::Again;
  }
  auto wrapped = std::make_unique<LazyRoot>(objects.replace_root(coid, nullptr), k_.facts.cpus(), [this, coid](unsigned cpu) {
    k_.hooks.at(cpu, k_.threads.hart(cpu).cycle(),
          [this, coid](ppc::Hart& hh) { swap_(hh, coid, [this, coid](ppc::Hart&, uint64_t end) { swapped(coid, end); }); });
  });
  marked_roots_[coid] = wrapped.get();
  objects.replace_root(coid, std::move(wrapped));
  for (unsigned c = 0; c < k_.facts.cpus(); ++c)
    if (objects.installed(coid, c)) objects.reset_entry(h, c, coid);
  objects.unlock_root(h, coid);
  locked_ = false;
  ++marked_;
  return Step::Again;
}

// Any swap of a marked instance (its own, or another event's) starts from the
// original root: the mediator needs the old object's reps.
void DynamicUpdate::unmark(unsigned coid) {
  const auto it = marked_roots_.find(coid);
  if (it == marked_roots_.end()) return;
  auto& objects = k_.objects;
  if (&objects.root(coid) == it->second) objects.replace_root(coid, static_cast<LazyRoot*>(it->second)->unwrap());
  marked_roots_.erase(it);
}

// An instance's swap is over: completed, or given up (the instance still runs the old implementation,
// and the update cannot complete; its worker goes on with the next instance).
void DynamicUpdate::swapped(unsigned coid, uint64_t end_cycle) {
  if (!k_.facts.live(coid)) return;  // destroyed before its swap: settled when it is reclaimed (gone)
  if (!settled_.insert(coid).second) return;
  if (k_.objects.impl_of(coid) != new_impl_) {
    ++rec_.given_up;
    return;
  }
  last_end_ = std::max(last_end_, end_cycle);  // swaps end out of order (each with its last CPU's Complete)
  ++rec_.swapped;
  check_complete();
}

void DynamicUpdate::gone(unsigned coid) {
  marked_roots_.erase(coid);  // its root, wrapped or not, is the kernel's to replace
  if (std::find(instances_.begin(), instances_.end(), coid) == instances_.end() || !settled_.insert(coid).second) return;
  ++rec_.destroyed;
  check_complete();
}

void DynamicUpdate::check_complete() {
  if (!rec_.completed && rec_.swapped + rec_.destroyed == rec_.instances) {
    rec_.completed = true, rec_.end_cycle = std::max(last_end_, rec_.factory_done_cycle);
    if (on_complete_) on_complete_(rec_.end_cycle);
  }
}

bool DynamicUpdate::running() const {
  return started_ && factory_ && !rec_.completed && settled_.size() < instances_.size();
}

}  // namespace quiesce::hotswap
