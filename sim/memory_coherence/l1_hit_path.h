// A CPU's L1 hits, served inline by the core without a call through
// MemPort_if::access: most loads, stores and instruction fetches. For a hit it
// does exactly what access() does (counters, LRU, store buffer); it declines
// everything else, which then goes through access() as before: a miss, an
// upgrade, a hit that must synchronise (a contended line), an address whose
// statistics region is not in the CPU's region cache, or any access while the
// invariant checker runs. tests/unit/test_coherence.cpp checks the two agree.
#pragma once
#include <cstdint>

#include "memory_coherence/cache.h"
#include "memory_coherence/coherence_stats.h"
#include "memory_coherence/private_hierarchy.h"
#include "memory_coherence/region_map.h"

namespace quiesce::mem {

// One slot of a CPU's region cache: the interval of the last region lookup that
// used it and that CPU's counters for the region.
struct RegionCache {
  uint64_t lo = 0, hi = 0;  // empty: addr - lo >= hi - lo for every address
  CoherenceCounters* counters = nullptr;
  uint64_t generation = 0;  // RegionMap::generation() when filled

  static constexpr unsigned kBits = 6, kSlots = 1u << kBits;  // per CPU, direct-mapped by line
  // This CPU's counters for addr's region if its slot holds them, else null.
  static CoherenceCounters* find(RegionCache* slots, uint64_t line, uint64_t addr, uint64_t generation) {
    const RegionCache& rc = slots[line & (kSlots - 1)];
    if (addr - rc.lo >= rc.hi - rc.lo || rc.generation != generation) [[unlikely]]
      return nullptr;
    return rc.counters;
  }
};

class L1HitPath {
 public:
  L1HitPath(PrivateHierarchy& p, RegionCache* slots, const RegionMap& regions, unsigned line_shift,
            uint32_t store_latency, bool sync_hits, bool enabled)
      : p_(p), slots_(slots), regions_(regions), line_shift_(line_shift), store_latency_(store_latency),
        sync_hits_(sync_hits), enabled_(enabled) {}

  // A load hit: true, with its latency; false if access() must serve it.
  bool load(uint64_t addr, uint32_t& lat) {
    Cache::Line* l;
    CoherenceCounters* reg;
    if (!hit(addr, l, reg)) return false;
    touch(*l, *reg);
    lat = p_.l1d.latency();
    return true;
  }
  // A store hit on a line held modified, issued at `cycle`: into the store buffer.
  bool store(uint64_t addr, uint64_t cycle, uint32_t& lat) {
    Cache::Line* l;
    CoherenceCounters* reg;
    if (!hit(addr, l, reg) || l->state != LineState::M) return false;
    touch(*l, *reg);
    lat = p_.buffer_store(cycle, cycle + p_.l1d.latency(), store_latency_);
    return true;
  }
  // An instruction fetch that hits the L1I (counted nowhere, as in access()).
  bool fetch(uint64_t addr, uint32_t& lat) {
    Cache::Line* l = p_.l1i.peek(addr >> line_shift_);
    if (!l) return false;
    p_.l1i.touch(*l);
    lat = p_.l1i.latency();
    return true;
  }

 private:
  bool hit(uint64_t addr, Cache::Line*& l, CoherenceCounters*& reg) {
    if (!enabled_) return false;
    const uint64_t line = addr >> line_shift_;
    reg = RegionCache::find(slots_, line, addr, regions_.generation());
    if (!reg) return false;
    Cache::Line*& m = memo_[line & (kMemo - 1)];
    if (!m || m->tag != line) [[unlikely]] {
      m = p_.l1d.peek(line);
      if (!m) return false;
    }
    l = m;
    return !(l->contended && sync_hits_);
  }
  void touch(Cache::Line& l, CoherenceCounters& reg) {
    p_.l1d.touch(l);
    ++p_.counters.accesses, ++reg.accesses;
  }

  PrivateHierarchy& p_;
  RegionCache* slots_;  // this CPU's
  const RegionMap& regions_;
  unsigned line_shift_;
  uint32_t store_latency_;
  bool sync_hits_, enabled_;
  // Where a few recent lines sit in the L1D, to skip the way search. A slot
  // holds one line at a time, so a memo is good while its tag still matches.
  static constexpr unsigned kMemo = 64;
  Cache::Line* memo_[kMemo] = {};
};

}  // namespace quiesce::mem
