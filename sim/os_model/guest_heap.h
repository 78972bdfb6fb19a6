// Where the OS model's structures live: a bump allocator over a range of guest
// memory (between the program image and the CPU stacks). Every allocation is
// line-aligned by default, zeroed, and named as a statistics region, so results
// say which structure (a GTT, CPU 3's LTT, a thread descriptor...) caused
// which misses. Structures are never freed one by one: the model reuses them
// (threads recycle descriptors), which keeps addresses deterministic.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "memory_coherence/guest_memory.h"
#include "memory_coherence/region_map.h"

namespace quiesce::os {

// The scenario asked for more OS structures than the configured memory holds.
struct GuestHeapExhausted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class GuestHeap {
 public:
  GuestHeap(mem::GuestMemory& memory, mem::RegionMap& regions, uint64_t base, uint64_t limit, uint32_t line_bytes);

  // `bytes` of zeroed guest memory aligned to `align` (0: a cache line), named
  // `name` in the statistics. Throws GuestHeapExhausted.
  uint64_t allocate(const std::string& name, uint64_t bytes, uint64_t align = 0);

  mem::GuestMemory& memory() { return memory_; }
  const mem::RegionMap& regions() const { return regions_; }  // names of what it allocated (watchdog reports)
  uint64_t base() const { return base_; }
  uint64_t used() const { return next_ - base_; }
  uint64_t limit() const { return limit_; }

 private:
  mem::GuestMemory& memory_;
  mem::RegionMap& regions_;
  uint64_t base_, next_, limit_;
  uint32_t line_bytes_;
};

}  // namespace quiesce::os
