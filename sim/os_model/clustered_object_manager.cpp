#include "os_model/clustered_object_manager.h"

#include <fmt/format.h>

#include "os_model/host_access.h"

namespace quiesce::os {

using mem::AccessKind;

Root::Root(std::string name, RootKind kind, RepTemplate rep, unsigned cpus)
    : name_(std::move(name)), kind_(kind), rep_(std::move(rep)), reps_(kind == RootKind::Shared ? 1 : cpus, 0) {
  if (rep_.region.empty()) rep_.region = name_ + ".rep";
}

uint64_t Root::rep_for(unsigned cpu, GuestHeap& heap, ppc::Hart* h) {
  uint64_t& rep = reps_[kind_ == RootKind::Shared ? 0 : cpu];
  if (!rep) {
    const bool suffix = kind_ == RootKind::PerCpu && rep_.region_per_cpu;
    // The rep is this root's before the allocator's accesses are paid: a timed access may let another CPU
    // miss on the same object meanwhile, and it must find this rep, not make a second one.
    rep = heap.allocate_block(h, h ? h->id() : cpu, suffix ? fmt::format("{}.cpu{}", rep_.region, cpu) : rep_.region,
                              rep_.bytes, true);
    const auto pending = heap.take_deferred();
    const uint64_t made = rep;
    auto& m = heap.memory();
    m.store<uint64_t>(made, rep_.vtable);
    if (rep_.shared) m.store<uint64_t>(made + 8, rep_.shared);
    for (size_t i = 0; i < rep_.refs.size(); ++i) m.store<uint64_t>(made + rep_.refs_offset + 8 * i, rep_.refs[i]);
    ++created_;
    GuestHeap::pay_list(h, pending);
    return made;
  }
  return rep;
}

void Root::adopt(unsigned cpu, uint64_t rep) {
  uint64_t& slot = reps_[kind_ == RootKind::Shared ? 0 : cpu];
  if (!slot) ++created_;
  slot = rep;
}

ClusteredObjectManager::ClusteredObjectManager(GuestHeap& heap, unsigned cpus, unsigned capacity, unsigned methods,
                                               uint64_t host_call_base, MissCosts costs)
    : heap_(heap),
      methods_(methods),
      miss_base_(host_call_base),
      default_rep_(make_default_rep(host_call_base)),
      tt_(heap, cpus, capacity, default_rep_),
      costs_(costs),
      misses_(cpus, 0) {}

// The Default Object: a rep whose vtable sends method m to host-call address base + 4m.
uint64_t ClusteredObjectManager::make_default_rep(uint64_t host_call_base) {
  const uint64_t vtable = heap_.allocate("DefaultObject.vtable", uint64_t{methods_} * 8);
  for (unsigned m = 0; m < methods_; ++m) heap_.memory().store<uint64_t>(vtable + 8 * m, host_call_base + 4 * m);
  const uint64_t rep = heap_.allocate("DefaultObject", 8);
  heap_.memory().store<uint64_t>(rep, vtable);
  return rep;
}

unsigned ClusteredObjectManager::create(std::string name, RootKind kind, uint64_t vtable, uint64_t state_bytes) {
  return create(std::move(name), kind, RepTemplate{vtable, 0, 8 + state_bytes, 8 + state_bytes, {}, {}, true});
}

unsigned ClusteredObjectManager::create(std::string name, RootKind kind, RepTemplate rep) {
  if (roots_.size() >= tt_.capacity())
    throw GuestHeapExhausted(fmt::format("object {}: the translation tables hold {} objects", name, tt_.capacity()));
  const auto coid = static_cast<unsigned>(roots_.size());
  roots_.push_back(std::make_unique<Root>(std::move(name), kind, std::move(rep), tt_.cpus()));
  installed_.emplace_back(tt_.cpus(), false);
  heap_.memory().store<uint64_t>(tt_.gtt_entry(coid), coid);  // the GTT names the root by its COID
  return coid;
}

ppc::HartAction ClusteredObjectManager::handle_miss(ppc::Hart& h, uint64_t pc) {
  auto& s = h.state();
  const unsigned cpu = h.id();
  const auto method = static_cast<unsigned>((pc - miss_base_) / 4);
  unsigned coid = 0;
  if ((pc - miss_base_) % 4 || method >= methods_ || !tt_.coid_of(cpu, s.gpr[TranslationTable::kLttEntryRegister], coid) ||
      coid >= roots_.size()) {
    h.raise_trap(fmt::format("call to a clustered object missed, but r11 (0x{:x}) is not an LTT entry of cpu {} for "
                             "a created object",
                             s.gpr[TranslationTable::kLttEntryRegister], cpu));
    return ppc::HartAction::Fault;
  }
  auto& memory = heap_.memory();
  // Take the GTT entry's miss-handling lock for reading: an atomic update of
  // its reader count. While a hot-swap holds it for writing, spin: the call
  // comes back here after a short wait.
  const uint64_t lock = tt_.gtt_lock(coid);
  h.timed_access(AccessKind::Larx, lock, 8);
  if (memory.load<uint64_t>(lock) & kWriterBit) {
    h.charge(costs_.lock_retry);
    return ppc::HartAction::Continue;  // pc unchanged: the same miss again, later
  }
  ++misses_[cpu];
  h.timed_access(AccessKind::Stcx, lock, 8);
  memory.store<uint64_t>(lock, memory.load<uint64_t>(lock) + 1);
  h.timed_access(AccessKind::Load, tt_.gtt_entry(coid), 8);
  const uint64_t rep = roots_[coid]->rep_for(cpu, heap_, &h);
  const uint64_t entry = tt_.ltt_entry(cpu, coid);
  h.timed_access(AccessKind::Store, entry, 8);
  memory.store<uint64_t>(entry, rep);
  installed_[coid][cpu] = true;
  h.timed_access(AccessKind::LwSync, 0, 0);
  h.timed_access(AccessKind::Larx, lock, 8);
  h.timed_access(AccessKind::Stcx, lock, 8);
  memory.store<uint64_t>(lock, memory.load<uint64_t>(lock) - 1);
  h.charge(costs_.handler);
  // Redo the call on the rep: LR still holds the caller's return address.
  h.timed_access(AccessKind::Load, rep, 8);
  const uint64_t vtable = memory.load<uint64_t>(rep);
  h.timed_access(AccessKind::Load, vtable + 8 * method, 8);
  s.gpr[3] = rep;
  s.pc = memory.load<uint64_t>(vtable + 8 * method);
  return ppc::HartAction::Continue;
}

void ClusteredObjectManager::install(ppc::Hart& h, unsigned coid, unsigned cpu, uint64_t rep) {
  host_store(h, tt_.ltt_entry(cpu, coid), rep);
  installed_[coid][cpu] = true;
}

void ClusteredObjectManager::uninstall(ppc::Hart& h, unsigned coid, unsigned cpu) {
  host_store(h, tt_.ltt_entry(cpu, coid), default_rep_);
  installed_[coid][cpu] = false;
}

std::unique_ptr<Root> ClusteredObjectManager::replace_root(unsigned coid, std::unique_ptr<Root> root) {
  std::swap(roots_[coid], root);
  return root;
}

bool ClusteredObjectManager::try_lock_for_writing(ppc::Hart& h, unsigned coid) {
  auto& memory = heap_.memory();
  const uint64_t lock = tt_.gtt_lock(coid);
  h.timed_access(AccessKind::Larx, lock, 8);
  if (memory.load<uint64_t>(lock) != 0) return false;  // misses in progress (or another writer)
  h.timed_access(AccessKind::Stcx, lock, 8);
  memory.store<uint64_t>(lock, kWriterBit);
  return true;
}

void ClusteredObjectManager::unlock_for_writing(ppc::Hart& h, unsigned coid) {
  const uint64_t lock = tt_.gtt_lock(coid);
  h.timed_access(AccessKind::Store, lock, 8);
  heap_.memory().store<uint64_t>(lock, 0);
}

}  // namespace quiesce::os
