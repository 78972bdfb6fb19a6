// K42's clustered-object manager (COSMgr): creates objects (a COID, a GTT
// entry, a root), owns the translation tables and the Default Object, and
// handles misses. The Default Object's vtable slots are host-call addresses,
// one per method index, so the first call of a method on a CPU misses into the
// host. The handler finds the COID from the LTT entry address the call left in
// r11, takes the GTT entry's miss-handling lock for reading, asks the root for
// this CPU's rep (a per-CPU root creates it on first use), installs it in the
// LTT, releases the lock and redoes the call on the rep, which returns straight
// to the caller. Every step pays cycles and memory traffic on the missing CPU.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu_ppc64/hart.h"
#include "os_model/guest_heap.h"
#include "os_model/os_spec.h"
#include "os_model/translation_table.h"

namespace quiesce::os {

// What every rep of one object starts as (layout in rep_layout.h).
struct RepTemplate {
  uint64_t vtable = 0;
  uint64_t shared = 0;  // the object's shared state, at byte 8 of every rep
  uint64_t bytes = 16;  // the whole rep
  uint64_t refs_offset = 16;
  std::vector<uint64_t> refs;  // LTT offsets of the objects its nested calls reach
  std::string region;          // statistics region of its reps ("" = the object's name + ".rep")
  bool region_per_cpu = true;  // per-CPU reps get ".cpuN" regions (off for large groups)
};

// The host side of one clustered object: how it maps CPUs to reps.
class Root {
 public:
  Root(std::string name, RootKind kind, RepTemplate rep, unsigned cpus);
  virtual ~Root() = default;
  // This CPU's rep, created and initialised on first use. (A hot-swap's
  // mediator root hands out its own reps instead.)
  // With a hart (running the creation), the allocator's traffic is paid on its CPU, from its CPU's pool.
  virtual uint64_t rep_for(unsigned cpu, GuestHeap& heap, ppc::Hart* h = nullptr);
  // The rep this CPU has, or 0 if none was made yet. (A root wrapping another answers for it.)
  virtual uint64_t rep_if_any(unsigned cpu) const { return reps_[kind_ == RootKind::Shared ? 0 : cpu]; }
  // Takes an existing rep as this CPU's (a by-reference state transfer).
  void adopt(unsigned cpu, uint64_t rep);
  // Reps made from now on point to `shared` (a swap by reference: the object keeps its old shared state).
  void adopt_shared(uint64_t shared) { rep_.shared = shared; }
  const RepTemplate& rep_template() const { return rep_; }
  const std::string& name() const { return name_; }
  RootKind kind() const { return kind_; }
  unsigned reps_created() const { return created_; }

 private:
  std::string name_;
  RootKind kind_;
  RepTemplate rep_;
  std::vector<uint64_t> reps_;  // per CPU (Shared: entry 0 only); 0 until created
  unsigned created_ = 0;
};

struct MissCosts {
  uint32_t handler = 150;    // cycles of miss-handling code beyond its memory accesses
  uint32_t lock_retry = 40;  // waiting before retrying a miss while a hot-swap holds the lock
};

class ClusteredObjectManager {
 public:
  // `methods`: the largest vtable any object may have.
  ClusteredObjectManager(GuestHeap& heap, unsigned cpus, unsigned capacity, unsigned methods, uint64_t host_call_base,
                         MissCosts costs = {});

  // A new object; returns its COID.
  unsigned create(std::string name, RootKind kind, RepTemplate rep);
  // One with no shared state or references: [vtable][8 + state_bytes of state].
  unsigned create(std::string name, RootKind kind, uint64_t vtable, uint64_t state_bytes);
  unsigned objects() const { return static_cast<unsigned>(roots_.size()); }
  // Whether CPU `cpu` has installed a rep of `coid` in its LTT (the CPUs a
  // hot-swap must visit).
  bool installed(unsigned coid, unsigned cpu) const { return installed_[coid][cpu]; }
  // Host-modelled code (a hot swap) puts `rep` in CPU `cpu`'s LTT entry: installed, as a miss would.
  void install(ppc::Hart& h, unsigned coid, unsigned cpu, uint64_t rep);
  // The instance is destroyed: CPU `cpu`'s LTT entry back to the Default Object, not installed.
  void uninstall(ppc::Hart& h, unsigned coid, unsigned cpu);
  // Replaces an object's root (the GTT entry's root pointer); returns the old one.
  std::unique_ptr<Root> replace_root(unsigned coid, std::unique_ptr<Root> root);
  // The miss-handling lock taken for writing: succeeds (paying an atomic
  // update) only when no miss holds it for reading; misses wait meanwhile.
  bool try_lock_for_writing(ppc::Hart& h, unsigned coid);
  void unlock_for_writing(ppc::Hart& h, unsigned coid);
  static constexpr uint64_t kWriterBit = uint64_t{1} << 63;

  const TranslationTable& tables() const { return tt_; }
  Root& root(unsigned coid) { return *roots_[coid]; }
  const Root& root(unsigned coid) const { return *roots_[coid]; }
  uint64_t default_rep() const { return default_rep_; }
  // The host-call window range the Default Object's methods occupy.
  uint64_t miss_base() const { return miss_base_; }
  uint64_t miss_bytes() const { return uint64_t{methods_} * 4; }
  uint64_t misses(unsigned cpu) const { return misses_[cpu]; }
  const MissCosts& costs() const { return costs_; }

  // Handles a call that reached Default Object method slot at `pc`.
  ppc::HartAction handle_miss(ppc::Hart& h, uint64_t pc);

 private:
  uint64_t make_default_rep(uint64_t host_call_base);

  GuestHeap& heap_;
  unsigned methods_;
  uint64_t miss_base_;
  uint64_t default_rep_;
  TranslationTable tt_;
  MissCosts costs_;
  std::vector<std::unique_ptr<Root>> roots_;
  std::vector<uint64_t> misses_;
  std::vector<std::vector<bool>> installed_;  // [coid][cpu]
};

}  // namespace quiesce::os
