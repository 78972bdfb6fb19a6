#include "hotswap/hotswap_manager.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include <fmt/format.h>


namespace quiesce::hotswap {

HotSwapManager::HotSwapManager(os::SwapInterface kernel, const std::vector<os::ImplementationSpec>& impls,
                               const std::vector<os::ObjectSpec>& objects, const HotSwapSpec& spec,
                               StrategySet& strategies)
    : k_(kernel), impls_(impls), spec_(spec), reclaimer_(kernel, oracle_, impls_), ctx_{kernel, impls_, spec_, oracle_, nullptr, {}},
      strategies_(strategies) {
  if (spec_.transfer.size() < impls.size()) spec_.transfer.resize(impls.size());
  if (spec_.reclaim) {  // what swaps leave behind goes back to the OS allocator (issue 24)
    ctx_.reclaimer = &reclaimer_;
  }
  // Freed memory handed out again: what the oracle said of it no longer holds. A destroyed instance's reps,
  // freed by the kernel: an instruction of its implementation on one of them is a use after free.
  k_.objects.heap().on_reuse([this](uint64_t addr, uint64_t) { oracle_.forget(addr); });
  oracle_.set_swap_reps([this](uint64_t rep, unsigned impl) {
    return std::any_of(swaps_.begin(), swaps_.end(), [&](const auto& s) { return s->holds_rep(rep, impl); });
  });
  k_.hooks.add_freed_reporter([this](ppc::Hart& h, unsigned coid, unsigned impl, const std::vector<uint64_t>& reps) {
    const os::ObjectGroup& g = k_.facts.groups()[k_.facts.group_of(coid)];
    oracle_.freed(k_, SafetyOracle::kNoSwap, coid, impl, impls_[impl], reps, fmt::format("{}[{}]", g.name, coid - g.first),
                  h.cycle());
    for (auto& u : updates_) u->gone(coid);
    for (auto& u : policy_updates_) u->gone(coid);
  });
  strategies_.attach(ctx_);
  if (spec_.swaps.empty() && spec_.updates.empty() && spec_.policies.empty()) return;  // no entries, no hooks: a run without swaps pays nothing
  for (unsigned p = 0; p < spec_.patches.size(); ++p) patches_.push_back(std::make_unique<Patch>(p, spec_.patches[p], k_));
  fired_.assign(spec_.swaps.size() + spec_.updates.size(), false);
  // Event targets: a group (all its instances) or one instance "name[i]".
  for (unsigned e = 0; e < spec_.swaps.size(); ++e) {
    const SwapEvent& ev = spec_.swaps[e];
    std::string name = ev.object;
    long index = -1;
    if (const auto lb = name.find('['); lb != std::string::npos) {
      index = std::stol(name.substr(lb + 1));
      name = name.substr(0, lb);
    }
    unsigned first = 0;
    std::vector<unsigned> coids;
    for (const auto& o : objects) {
      if (o.name == name)
        for (unsigned i = 0; i < o.count; ++i)
          if (index < 0 || i == static_cast<unsigned>(index)) coids.push_back(first + i);
      first += o.count;
    }
    unsigned to = 0;
    while (to < impls.size() && impls[to].name != ev.to) ++to;
    if (coids.empty() || to == impls.size())
      throw os::BuildError(fmt::format("swap event {}: no object {} or implementation {}", e, ev.object, ev.to));
    targets_.push_back(coids);
    to_impl_.push_back(to);
    if (ev.patch < 0) when(ev.cpu, ev.at_us, ev.after_calls, [this, e](ppc::Hart& h) { begin(h, e); });
  }
  for (unsigned e = static_cast<unsigned>(spec_.swaps.size()); e < fired_.size(); ++e) {
    const UpdateEvent& u = spec_.updates[e - spec_.swaps.size()];
    unsigned to = 0;
    while (to < impls.size() && !((impls[to].class_name.empty() ? impls[to].name : impls[to].class_name) ==
                                      u.class_name && impls[to].version == u.to_version))
      ++to;
    if (to == impls.size())
      throw os::BuildError(fmt::format("update of {}: no version {}", u.class_name, u.to_version));
    const std::string strategy = u.strategy;
    updates_.push_back(std::make_unique<DynamicUpdate>(
        k_, u, to, spec_.update_step_cycles,
        [this, e, to, strategy](ppc::Hart& h, unsigned coid, DynamicUpdate::SwapDone done) {
          start_swap(h, e, coid, to, strategy, std::move(done));
        },
        [this](unsigned coid) { return swapping(coid); }));
    DynamicUpdate* d = updates_.back().get();
    retire_old_tables(*d, u.class_name);
    if (u.patch < 0)
      when(u.cpu, u.at_us, u.after_calls, [this, d, e](ppc::Hart& h) {
        if (!fired_[e]) fired_[e] = true, d->start(h);
      });
  }
  for (unsigned p = 0; p < spec_.patches.size(); ++p) {
    const PatchEvent& pe = spec_.patches[p];
    when(pe.cpu, pe.at_us, pe.after_calls, [this, p](ppc::Hart& h) { begin_patch(h, p); });
  }
  k_.hooks.add_entry_hook([this](ppc::Hart& h) {
    for (Swap* m : active_) m->poll(h);
  });
  // A call to a method a newer version adds reached an implementation that lacks it: the switch had not
  // happened for that instance (the scenario reader only checks that the caller starts after the event).
  k_.hooks.add_missing_method_reporter([this](ppc::Hart& h, const os::Thread& t, unsigned impl, unsigned method,
                                              uint64_t rep) {
    const unsigned coid = t.call_coid;
    const os::ObjectGroup& g = k_.facts.groups()[k_.facts.group_of(coid)];
    const std::string object = g.count == 1 ? g.name : fmt::format("{}[{}]", g.name, coid - g.first);
    int swap = -1;  // the latest swap of the instance, if any
    for (const auto& s : swaps_)
      if (s->coid() == coid) swap = static_cast<int>(s->id());
    oracle_.report({h.cycle(), h.id(), static_cast<int>(t.id), object,
                    fmt::format("thread {} (cpu {}) called {}.{}, a method {} lacks (vtable slot {}, rep 0x{:x}): a call "
                                "to a method the new version adds reached the old code",
                                t.id, h.id(), object, impls_[g.interface].methods[method].name, impls_[impl].name,
                                method, rep),
                    swap});
  });
  k_.hooks.add_waits_reporter([this] {
    std::string out;
    for (const Swap* m : active_) out += (out.empty() ? "swaps in progress:\n  " : "\n  ") + m->describe();
    for (const auto& p : patches_)
      if (p->fired() && p->outcome() == Patch::Outcome::Pending) out += (out.empty() ? "" : "\n  ") + p->describe();
    return out;
  });
  if (const double t = spec_.timeout_us; t > 0) {
    const uint64_t limit = k_.us_to_cycles(t);
    k_.hooks.add_entry_hook([this, limit, t](ppc::Hart& h) {
      for (const Swap* m : active_)
        if (h.cycle() > m->start_cycle() + limit) {
          k_.hooks.stop_run(fmt::format("watchdog: swap {} of {} ({}) has not reached completion {} us after it began "
                                  "(hotswap.timeout_us), at cycle {}", m->id(), m->label(), m->strategy(), t, h.cycle()));
          return;
        }
    });
  }
  if (!spec_.policies.empty()) policies_ = std::make_unique<PolicyEngine>(k_, *this, impls_, spec_.policies);
}

void HotSwapManager::start_policy_swaps(ppc::Hart& h, unsigned decision, const std::vector<unsigned>& coids,
                                        unsigned to, const std::string& strategy,
                                        std::function<void(ppc::Hart&, uint64_t)> done) {
  auto left = std::make_shared<size_t>(coids.size());
  auto last = std::make_shared<uint64_t>(h.cycle());
  for (const unsigned coid : coids)
    start_swap(h, kPolicyEvent + decision, coid, to, strategy, [left, last, done](ppc::Hart& hh, uint64_t end) {
      *last = std::max(*last, end);
      if (--*left == 0 && done) done(hh, *last);
    });
}

// With reclaim on, a factory's table replaced by an update goes back to the allocator two generation swaps
// on every CPU later: a create or destroy that loaded the old table's address before the switch has ended.
void HotSwapManager::retire_old_tables(DynamicUpdate& d, const std::string& class_name) {
  if (!spec_.reclaim) return;
  d.on_old_table([this, class_name](ppc::Hart& h, uint64_t table) {
    reclaimer_.retire(h, Reclaim::Generations,
                      Garbage{SafetyOracle::kNoSwap, kNoObject, "factory." + class_name, -1, {}, {table}}, nullptr);
  });
}

DynamicUpdate& HotSwapManager::start_policy_update(ppc::Hart& h, unsigned decision, const UpdateEvent& u,
                                                   unsigned to, std::function<void(uint64_t)> done) {
  const unsigned event = kPolicyEvent + decision;
  policy_updates_.push_back(std::make_unique<DynamicUpdate>(
      k_, u, to, spec_.update_step_cycles,
      [this, event, to, strategy = u.strategy](ppc::Hart& hh, unsigned coid, DynamicUpdate::SwapDone d) {
        start_swap(hh, event, coid, to, strategy, std::move(d));
      },
      [this](unsigned coid) { return swapping(coid); }));
  DynamicUpdate& d = *policy_updates_.back();
  retire_old_tables(d, u.class_name);
  d.on_complete(std::move(done));
  d.start(h);
  return d;
}

bool HotSwapManager::updating(const std::string& cls) const {
  const auto running = [&](const std::unique_ptr<DynamicUpdate>& u) {
    return u->record().class_name == cls && u->running();
  };
  if (std::any_of(updates_.begin(), updates_.end(), running) ||
      std::any_of(policy_updates_.begin(), policy_updates_.end(), running))
    return true;
  for (auto& f : k_.objects.factories())
    if (f.class_name() == cls && swapping_any(f.instances())) return true;
  return false;
}

bool HotSwapManager::swapping_any(const std::vector<unsigned>& coids) const {
  return std::any_of(coids.begin(), coids.end(), [this](unsigned c) { return swapping(c); });
}

void HotSwapManager::when(unsigned cpu, double at_us, uint64_t after_calls, std::function<void(ppc::Hart&)> fire) {
  if (after_calls == 0) {
    k_.hooks.at(cpu, k_.us_to_cycles(at_us), std::move(fire));
    return;
  }
  // Checked at every kernel entry of that CPU until it fires; then the hook is removed.
  auto id = std::make_shared<os::SwapHooks_if::HookId>(0);
  *id = k_.hooks.add_entry_hook([this, cpu, after_calls, id, fire = std::move(fire)](ppc::Hart& h) {
    if (h.id() != cpu || k_.facts.calls_completed() < after_calls) return;
    k_.hooks.remove_entry_hook(*id);
    fire(h);
  });
}

// A swap event fires: one swap per instance, all at once (concurrent swaps).
void HotSwapManager::begin(ppc::Hart& h, unsigned e) {
  if (fired_[e]) return;
  fired_[e] = true;
  const SwapEvent& ev = spec_.swaps[e];
  for (unsigned coid : targets_[e]) start_swap(h, e, coid, to_impl_[e], ev.strategy, {});
}

Patch* HotSwapManager::patch_of(unsigned event) const {
  if (event >= spec_.swaps.size() + spec_.updates.size()) return nullptr;  // a policy's decision
  const int p = event < spec_.swaps.size() ? spec_.swaps[event].patch : spec_.updates[event - spec_.swaps.size()].patch;
  return p < 0 ? nullptr : patches_[static_cast<unsigned>(p)].get();
}

void HotSwapManager::begin_patch(ppc::Hart& h, unsigned p) {
  Patch& patch = *patches_[p];
  if (patch.fired()) return;
  std::vector<unsigned> parts;  // its events, in order
  unsigned members = 0;
  for (unsigned e = 0; e < fired_.size(); ++e)
    if (patch_of(e) == &patch) {
      parts.push_back(e);
      fired_[e] = true;
      members += e < spec_.swaps.size() ? static_cast<unsigned>(targets_[e].size())
                                        : updates_[e - spec_.swaps.size()]->prepare(h);
    }
  patch.begin(h, members);
  for (const unsigned e : parts)
    if (e < spec_.swaps.size()) {
      for (unsigned coid : targets_[e]) start_swap(h, e, coid, to_impl_[e], spec_.swaps[e].strategy, {});
    } else {
      updates_[e - spec_.swaps.size()]->start_in_patch(h, patch);
    }
  patch.started(h);
}

void HotSwapManager::start_swap(ppc::Hart& h, unsigned event, unsigned coid, unsigned to, const std::string& strategy,
                                DynamicUpdate::SwapDone done) {
  if (swapping(coid)) {
    waiting_[coid].push_back({event, to, strategy, std::move(done)});  // one swap of an object at a time
    return;
  }
  Patch* patch = patch_of(event);
  // Already there (an earlier swap), destroyed, or its patch gave up.
  if (k_.objects.impl_of(coid) == to || !k_.facts.live(coid) || (patch && patch->aborted())) {
    if (patch && !patch->aborted()) patch->skip(h);
    if (done) done(h, h.cycle());
    return;
  }
  for (auto& u : updates_) u->unmark(coid);
  for (auto& u : policy_updates_) u->unmark(coid);
  const auto& grp = k_.facts.groups()[k_.facts.group_of(coid)];
  const std::string label = grp.count == 1 ? grp.name : fmt::format("{}[{}]", grp.name, coid - grp.first);
  const auto id = static_cast<unsigned>(swaps_.size());
  swaps_.push_back(strategies_.get(strategy).make_swap(id, coid, to, label));
  swap_event_.push_back(event);
  Swap* m = swaps_.back().get();
  if (patch) patch->join(*m, h.cycle());
  active_.push_back(m);
  by_coid_[coid].push_back(m);
  const bool early = find_strategy(strategy) && find_strategy(strategy)->info.reclaim == Reclaim::AtStart;
  k_.objects.pin(coid, true);  // not destroyed while swapped
  m->start(h, [this, m, coid, done = std::move(done)](ppc::Hart& hh) {
    active_.erase(std::find(active_.begin(), active_.end(), m));
    k_.objects.pin(coid, false);
    if (done) done(hh, m->end_cycle());
    // The next waiting swap starts here, on the CPU that completed the last one, so the order holds;
    // one that finds the object already at its target is done at once, and the next one is tried.
    for (auto w = waiting_.find(coid); w != waiting_.end() && !w->second.empty() && !swapping(coid);
         w = waiting_.find(coid)) {
      Pending next = std::move(w->second.front());
      w->second.erase(w->second.begin());
      start_swap(hh, next.event, coid, next.to, next.strategy, std::move(next.done));
    }
  });
  if (early) m->free_early(h);  // an unsafe at_start rule: the old object goes back as the swap begins
}

unsigned HotSwapManager::queued(unsigned event) const {
  unsigned n = 0;
  for (const auto& [coid, pending] : waiting_)
    for (const Pending& p : pending) n += p.event == event;
  return n;
}

bool HotSwapManager::swapping(unsigned coid) const {
  const auto it = by_coid_.find(coid);
  return it != by_coid_.end() && !it->second.empty() && !it->second.back()->ended();
}

namespace {
bool counts_calls(const os::ImplementationSpec& impl) {
  return !impl.methods.empty() && std::all_of(impl.methods.begin(), impl.methods.end(), [](const os::MethodSpec& m) {
    return m.symbol.empty() ? m.state_atomics >= 1 : m.counts_calls;
  });
}
}  // namespace

void HotSwapManager::audit_calls() {
  audits_.clear();
  std::map<unsigned, uint64_t> in_flight;  // COID -> executions of it by calls still under way
  for (unsigned id = 0; id < k_.threads.count(); ++id)
    if (k_.threads.thread(id).call_under_way())
      for (const unsigned coid : k_.facts.executions(id)) ++in_flight[coid];
  const unsigned cpus = k_.facts.cpus();
  for (const os::ObjectGroup& g : k_.facts.groups())
    for (unsigned coid = g.first; coid < g.first + g.count; ++coid) {
      bool countable = counts_calls(impls_[g.impl]) && counts_calls(impls_[k_.objects.impl_of(coid)]);
      const Swap* last = nullptr;
      if (const auto it = by_coid_.find(coid); it != by_coid_.end())
        for (const Swap* m : it->second) countable = countable && counts_calls(impls_[m->new_impl()]), last = m;
      if (!countable) continue;
      if (!k_.facts.live(coid)) {  // a slot of a group with lifetimes: destroyed, or never made
        const auto& grp = k_.facts.groups()[k_.facts.group_of(coid)];
        audits_.push_back({fmt::format("{}[{}]", grp.name, coid - grp.first), 0, 0, 0, "not live at the end of the run"});
        continue;
      }
      if (swapping(coid)) {
        const auto& grp = k_.facts.groups()[k_.facts.group_of(coid)];
        audits_.push_back({grp.count == 1 ? grp.name : fmt::format("{}[{}]", grp.name, coid - grp.first), 0, 0, 0,
                           "its swap had not completed at the end of the run"});
        continue;
      }
      const os::Root& root = k_.objects.root(coid);
      uint64_t counted = 0;
      for (unsigned c = 0; c < (root.kind() == os::RootKind::PerCpu ? cpus : 1); ++c)
        if (const uint64_t rep = root.rep_if_any(c)) counted += k_.facts.memory().load<uint64_t>(rep + os::RepLayout::kState);
      const std::string& name = root.name();
      const uint64_t served = k_.facts.served(coid), open = in_flight[coid];
      audits_.push_back({name, served, counted, open, {}});
      if (counted < served || counted > served + open)
        oracle_.report({k_.threads.hart(0).cycle(), 0, -1, name,
                        fmt::format("at the end of the run: {} counted {} calls, the kernel completed {} (and {} "
                                    "were under way): calls lost or served twice",
                                    name, counted, served, open),
                        last ? static_cast<int>(last->id()) : -1});
    }
}

}  // namespace quiesce::hotswap
