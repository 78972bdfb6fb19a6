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
// by the group's rule: K42's, after two generation swaps on every CPU (each CPU swapping at its kernel
// entries when its previous generation has drained); or an RCU grace period (`reclaim: grace_period`):
// every CPU passes a quiescent state (a kernel entry with no call under way on it: a call boundary, the
// idle loop), where it also notes the threads of its own that are off the CPU part-way through a call
// (preempted, or blocked inside a method), as Linux's preemptible RCU keeps its blocked tasks; those
// must end that call too. Every step is paid on the CPU that makes it, through its caches.
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
  Doomed d{coid, h.cycle(), {}, g.grace_period, {}, {}};
  if (d.grace) d.reported.assign(p_.cpus, 0);
  else
    for (unsigned c = 0; c < p_.cpus; ++c) d.target.push_back(cpus_[c].gen->swaps() + 2);
  doomed_.push_back(std::move(d));
  ++st.destroyed;
  QLOG(Scheduler, Debug, h.cycle(), h.id(), "{}[{}] destroyed (reclaimed after {})", g.name, slot,
       g.grace_period ? "a grace period" : "two generation swaps on every CPU");
  factory_of(instance_impl_[coid]).remove(coid, &h);
  for (unsigned c = 0; c < p_.cpus; ++c)
    if (com_->installed(coid, c)) com_->uninstall(h, coid, c);
}

// A kernel entry of h's CPU with no call under way there is a quiescent state: for each grace-period
// destruction it has not reported, it walks its threads (each descriptor's first word through its caches)
// and notes those off the CPU in a call as holdouts, then stores its report in its line.
void OsKernel::report_quiescent(ppc::Hart& h) {
  const unsigned cpu = h.id();
  if (const Thread* t = current(cpu); t && t->in_call) return;
  // The books first, all of them (a timed access may let other CPUs run and change the list), then the cost.
  std::vector<uint64_t>& loads = cpus_[cpu].report_loads;
  loads.clear();
  unsigned reports = 0;
  for (Doomed& d : doomed_) {
    if (!d.grace || d.reported[cpu]) continue;
    d.reported[cpu] = 1;
    ++reports;
    for (const Thread& t : threads_) {
      if (t.cpu != cpu || t.system || t.state == ThreadState::Free) continue;
      loads.push_back(t.descriptor);
      if (t.in_call) d.holdouts.emplace_back(t.id, t.call_start), ++stats_.lifetimes[group_of(d.coid)].holdouts;
    }
  }
  if (!reports) return;
  for (const uint64_t a : loads) host_load(h, a);
  host_store(h, quiescent_line(cpu), reports);
}

bool OsKernel::grace_ready(const Doomed& d) const {
  if (std::find(d.reported.begin(), d.reported.end(), 0) != d.reported.end()) return false;
  return std::all_of(d.holdouts.begin(), d.holdouts.end(), [&](const auto& ho) {
    const Thread& t = threads_[ho.first];
    return t.state == ThreadState::Free || !t.in_call || t.call_start != ho.second;
  });
}

// At each kernel entry while an instance waits to be reclaimed: the reports of this CPU, a generation swap
// when one is owed and may be made, then the destructions whose rule is met are reclaimed, in the order
// destroyed. They leave the list before any is freed (a free's timed accesses may let other CPUs run).
void OsKernel::reap(ppc::Hart& h) {
  report_quiescent(h);
  GenerationCount& gen = *cpus_[h.id()].gen;
  uint64_t owed = 0;
  for (const Doomed& d : doomed_)
    if (!d.grace) owed = std::max(owed, d.target[h.id()]);
  if (gen.swaps() < owed && gen.previous_drained()) gen.swap(h, os_.generations.swap_cycles);
  std::vector<std::pair<unsigned, uint64_t>>& now = cpus_[h.id()].reaping;  // (coid, destroyed at)
  now.clear();
  bool read_reports = false;
  for (size_t i = 0; i < doomed_.size();) {
    const Doomed& d = doomed_[i];
    bool ready = true;
    if (d.grace) {
      ready = grace_ready(d);
      read_reports = true;
    } else {
      for (unsigned c = 0; c < p_.cpus && ready; ++c) ready = cpus_[c].gen->swaps() >= d.target[c];
    }
    if (!ready) {
      ++i;
      continue;
    }
    now.emplace_back(d.coid, d.since);
    doomed_.erase(doomed_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (read_reports)  // the CPUs' reports, read through this CPU's caches (after the books: see above)
    for (unsigned c = 0; c < p_.cpus; ++c) host_load(h, quiescent_line(c));
  if (now.empty()) return;
  for (const auto& [coid, since] : now) {
    const unsigned group = group_of(coid);
    Root& root = com_->root(coid);
    std::vector<uint64_t>& reps = cpus_[h.id()].reap_reps;
    reps.clear();
    for (unsigned c = 0; c < p_.cpus; ++c)
      if (const uint64_t r = root.rep_if_any(c); r && std::find(reps.begin(), reps.end(), r) == reps.end()) reps.push_back(r);
    // Its shared states: the one its reps point to (word 1: a rep adopted by reference kept its own) and its
    // root's, each once.
    std::vector<uint64_t>& shared = cpus_[h.id()].reap_shared;
    shared.clear();
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
    stats_.lifetimes[group].reclaim_cycles += h.cycle() - since;
  }
}

}  // namespace quiesce::os
