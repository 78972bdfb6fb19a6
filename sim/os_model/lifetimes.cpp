// Object lifetimes (issue 24): instances of a group with a `capacity` created and destroyed during the
// run by workloads' `create` and `destroy` calls, through their class's factory.
//
// A group's COIDs (first .. first + capacity - 1) and their translation entries exist from the build,
// as K42's tables are sized at boot; the slots not live form the group's free COID pool, lowest first.
// `create` takes the lowest free slot: a new shared state and root in the factory's current version
// (after a dynamic update, the new one), the GTT entry written, the factory's instance table updated;
// its reps are made on each CPU's first call, by the miss handler, from the OS allocator. `destroy`
// takes a live instance (by the workload's popularity, never the group's last one, never one a swap
// holds): it leaves the factory and its LTT entries go back to the Default Object, so no new call can
// reach it; the reps, the shared state and the slot are reclaimed once no thread can hold a reference,
// K42's way: after two generation swaps on every CPU (each CPU swapping at its kernel entries when its
// previous generation has drained). Every step is paid on the CPU that makes it, through its caches.
#include <algorithm>

#include <fmt/format.h>

#include "diag/log.h"
#include "os_model/host_access.h"
#include "os_model/os_kernel.h"

namespace quiesce::os {

bool OsKernel::dynamic(unsigned group) const { return groups_[group].initial < groups_[group].count; }

unsigned OsKernel::class_impl(unsigned group) const {
  const ImplementationSpec& base = impls_[groups_[group].impl];
  const std::string& cls = base.class_name.empty() ? base.name : base.class_name;
  const Factory& f = *std::find_if(factories_.begin(), factories_.end(), [&](const Factory& x) { return x.class_name() == cls; });
  for (unsigned i = 0; i < impls_.size(); ++i) {
    const std::string& c = impls_[i].class_name.empty() ? impls_[i].name : impls_[i].class_name;
    if (c == cls && impls_[i].version == f.version()) return i;
  }
  return groups_[group].impl;  // (every version of a class the events name exists: the reader checks)
}

Factory& OsKernel::factory_of(unsigned impl) {
  const std::string& cls = impls_[impl].class_name.empty() ? impls_[impl].name : impls_[impl].class_name;
  return *std::find_if(factories_.begin(), factories_.end(), [&](const Factory& x) { return x.class_name() == cls; });
}

void OsKernel::lifetime_op(ppc::Hart& h, const CallChoice& choice) {
  if (choice.method == kCreateMethod) create_instance(h, choice.group);
  else destroy_instance(h, choice.group, choice.instance);
}

void OsKernel::create_instance(ppc::Hart& h, unsigned group) {
  GroupLife& life = life_[group];
  LifeStats& st = stats_.lifetimes[group];
  h.charge(os_.create_cycles);
  if (life.free.empty()) {
    ++st.create_refused;  // the group is at its capacity
    return;
  }
  const unsigned slot = *life.free.begin();
  life.free.erase(life.free.begin());
  const ObjectGroup& g = groups_[group];
  const unsigned coid = g.first + slot;
  const unsigned impl = class_impl(group);
  const ImplementationSpec& is = impls_[impl];
  // Host state first, all of it, before any timed access (one may let other CPUs run, or the run end):
  // its shared state from the allocator and its root in the factory's current version, then live.
  RepTemplate t = rep_template(coid, impl, &h, true);
  const auto pending = heap_.take_deferred();
  com_->replace_root(coid, std::make_unique<Root>(fmt::format("{}[{}]", g.name, slot), is.root, std::move(t), p_.cpus));
  instance_impl_[coid] = impl;
  alive_[coid] = 1;
  ++incarnation_[coid];
  served_[coid] = 0;
  life.live.insert(std::upper_bound(life.live.begin(), life.live.end(), slot), slot);
  live_counts_[group] = static_cast<unsigned>(life.live.size());
  ++st.created;
  st.peak_live = std::max<uint64_t>(st.peak_live, life.live.size());
  QLOG(Scheduler, Debug, h.cycle(), h.id(), "{}[{}] created ({}, life {})", g.name, slot, is.name, incarnation_[coid]);
  // Then what it costs: the factory's table (its host list first), the allocator's accesses, the GTT entry.
  factory_of(impl).add(coid, &h);
  GuestHeap::pay_list(&h, pending);
  host_store(h, com_->tables().gtt_entry(coid), coid);  // the GTT names the root by its COID
}

void OsKernel::destroy_instance(ppc::Hart& h, unsigned group, unsigned pos) {
  GroupLife& life = life_[group];
  LifeStats& st = stats_.lifetimes[group];
  h.charge(os_.destroy_cycles);
  const ObjectGroup& g = groups_[group];
  if (life.live.size() <= 1 || pos >= life.live.size() || pinned_[g.first + life.live[pos]]) {
    ++st.destroy_refused;  // the group's last instance, or one a swap holds
    return;
  }
  const unsigned slot = life.live[pos];
  const unsigned coid = g.first + slot;
  // Host state first (see create_instance), then the timed work: out of the factory, LTT entries reset.
  life.live.erase(life.live.begin() + pos);
  live_counts_[group] = static_cast<unsigned>(life.live.size());
  alive_[coid] = 0;
  Doomed d{coid, {}};
  for (unsigned c = 0; c < p_.cpus; ++c) d.target.push_back(cpus_[c].gen->swaps() + 2);
  doomed_.push_back(std::move(d));
  ++st.destroyed;
  QLOG(Scheduler, Debug, h.cycle(), h.id(), "{}[{}] destroyed (reclaimed after two generation swaps on every CPU)",
       g.name, slot);
  factory_of(instance_impl_[coid]).remove(coid, &h);
  for (unsigned c = 0; c < p_.cpus; ++c)
    if (com_->installed(coid, c)) com_->uninstall(h, coid, c);
}

// At each kernel entry while an instance waits to be reclaimed. Targets only grow in destruction order,
// so the ready ones are a prefix; they leave the list before any is freed (a free's timed accesses may let
// other CPUs run meanwhile).
void OsKernel::reap(ppc::Hart& h) {
  GenerationCount& gen = *cpus_[h.id()].gen;
  if (gen.swaps() < doomed_.back().target[h.id()] && gen.previous_drained()) gen.swap(h, os_.generations.swap_cycles);
  size_t ready = 0;
  for (; ready < doomed_.size(); ++ready) {
    bool all = true;
    for (unsigned c = 0; c < p_.cpus && all; ++c) all = cpus_[c].gen->swaps() >= doomed_[ready].target[c];
    if (!all) break;
  }
  if (!ready) return;
  std::vector<unsigned> now;
  for (size_t i = 0; i < ready; ++i) now.push_back(doomed_[i].coid);
  doomed_.erase(doomed_.begin(), doomed_.begin() + static_cast<std::ptrdiff_t>(ready));
  for (const unsigned coid : now) {
    const unsigned group = group_of(coid);
    Root& root = com_->root(coid);
    std::vector<uint64_t> reps;
    for (unsigned c = 0; c < p_.cpus; ++c)
      if (const uint64_t r = root.rep_if_any(c); r && std::find(reps.begin(), reps.end(), r) == reps.end()) reps.push_back(r);
    // Its shared states: the one its reps point to (word 1: a rep adopted by reference kept its own) and its
    // root's, each once.
    std::vector<uint64_t> shared;
    for (uint64_t r : reps)
      if (const uint64_t s = heap_.memory().load<uint64_t>(r + 8); s && std::find(shared.begin(), shared.end(), s) == shared.end())
        shared.push_back(s);
    if (const uint64_t s = root.rep_template().shared; s && std::find(shared.begin(), shared.end(), s) == shared.end())
      shared.push_back(s);
    const unsigned impl = instance_impl_[coid];
    // A call that picked it before its destruction may have missed since and installed a rep: every entry
    // back to the Default Object before the reps go, or the slot's next life would find them.
    for (unsigned c = 0; c < p_.cpus; ++c)
      if (com_->installed(coid, c)) com_->uninstall(h, coid, c);
    for (uint64_t r : reps) heap_.free_block(&h, h.id(), r);
    for (uint64_t s : shared)
      if (heap_.block_bytes(s) && !heap_.is_free(s)) heap_.free_block(&h, h.id(), s);
    host_store(h, com_->tables().gtt_entry(coid), 0);  // the GTT entry is free
    for (const auto& f : freed_reporters_) f(h, coid, impl, reps);
    QLOG(Scheduler, Debug, h.cycle(), h.id(), "{}[{}] reclaimed: {} reps freed", groups_[group].name,
         coid - groups_[group].first, reps.size());
    life_[group].free.insert(coid - groups_[group].first);  // the slot last: a create may take it from now on
    ++stats_.lifetimes[group].reclaimed;
  }
}

}  // namespace quiesce::os
