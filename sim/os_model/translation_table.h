// K42's translation tables, in guest memory. A clustered object is named by
// its COID, an index. The Global Translation Table has one entry per object:
// its root (the host-side object that knows the object's reps) and the
// reader-writer word that guards miss handling. Each CPU has a Local
// Translation Table holding, per COID, the rep that CPU calls. Guest code keeps
// its CPU's LTT base in r13 and calls a method with real loads and an indirect
// branch (see dref_call); an entry not yet filled points at the Default
// Object, whose methods miss into the host.
#pragma once
#include <cstdint>
#include <vector>

#include "os_model/guest_heap.h"

namespace quiesce::os {

class TranslationTable {
 public:
  static constexpr unsigned kGttEntryBytes = 16;  // root id (8), miss-handling lock word (8)
  static constexpr unsigned kLttEntryBytes = 8;   // rep address
  static constexpr unsigned kLttBaseRegister = 13;
  static constexpr unsigned kLttEntryRegister = 11;  // the call leaves &LTT[coid] here for the miss handler

  // Allocates the GTT and one LTT per CPU for `capacity` objects; every LTT
  // entry starts at `default_rep` (the Default Object).
  TranslationTable(GuestHeap& heap, unsigned cpus, unsigned capacity, uint64_t default_rep);

  unsigned capacity() const { return capacity_; }
  unsigned cpus() const { return static_cast<unsigned>(ltt_.size()); }
  uint64_t gtt_entry(unsigned coid) const { return gtt_ + uint64_t{coid} * kGttEntryBytes; }
  uint64_t gtt_lock(unsigned coid) const { return gtt_entry(coid) + 8; }
  uint64_t ltt_base(unsigned cpu) const { return ltt_[cpu]; }
  uint64_t ltt_entry(unsigned cpu, unsigned coid) const { return ltt_[cpu] + uint64_t{coid} * kLttEntryBytes; }
  // A CPU-local word per object for the layers above (a per-CPU reference
  // count, say), at a fixed offset from the CPU's LTT base, so guest code
  // reaches it from r13 as K42's per-processor memory.
  uint64_t local_offset() const { return local_offset_; }
  uint64_t local_word(unsigned cpu, unsigned coid) const { return ltt_[cpu] + local_offset_ + uint64_t{coid} * 8; }
  // Which COID an LTT entry address belongs to, on that CPU (for the miss handler).
  bool coid_of(unsigned cpu, uint64_t entry, unsigned& coid) const;

 private:
  unsigned capacity_;
  uint64_t gtt_, local_offset_ = 0;
  std::vector<uint64_t> ltt_;
};

// The guest code of one call through the translation table (K42's DREF and a
// virtual call): this = LTT[coid] (r3), vtable = *this, method = vtable[m],
// indirect branch and link. Arguments other than `this` go in r4..r10 as usual.
std::vector<uint32_t> dref_call(unsigned coid, unsigned method);

}  // namespace quiesce::os
