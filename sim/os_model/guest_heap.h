// Where the OS model's structures live: a range of guest memory (between the
// program image and the CPU stacks). Every allocation is line-aligned by
// default, zeroed, and named as a statistics region, so results say which
// structure (a GTT, CPU 3's LTT, a thread descriptor...) caused which misses.
//
// Structures made at build time are carved from the range's top (a bump
// pointer) and live for the whole run (threads recycle descriptors). Objects
// whose life ends during the run (a swap's old reps and mediator, issue 24) go
// back to an allocator with K42's shape: per-processor pools of free blocks,
// one list per size class, with a global pool behind them (K42's per-processor
// allocation pools and their global layer). A block is freed into the freeing
// CPU's pool while that list holds fewer than `local_blocks` blocks, else into
// the global pool; an allocation takes from its CPU's list, then the global
// one, then carves. The lists live in guest memory (a CPU's pool header
// `pool.cpuN`, the global one `pool.global` behind a lock word; a free
// block's words 2 and 3 link it and give its size, so a stale call through a
// freed rep finds its vtable and the safety oracle names the use after free),
// and with a hart every load and store of the allocator goes through that
// CPU's caches, paid once its decisions are made (a timed access may let
// other CPUs run). Size
// classes: 1..32 lines exactly, then one list of larger blocks searched
// first-fit. A CPU's pool header is made at its first free, so a run that
// frees nothing keeps its layout. Freed memory leaves its statistics region;
// a reused block gets the new allocation's name.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "memory_coherence/guest_memory.h"
#include "memory_coherence/mem_port_if.h"
#include "memory_coherence/region_map.h"

namespace quiesce::ppc {
class Hart;
}

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

  // A block for an object whose life may end during the run (a rep): from CPU `cpu`'s pool, the global
  // pool, else carved (its size rounded up to a line). `h` (running on `cpu`) pays the allocator's loads
  // and stores; null: at set-up, free. Zeroed and named `name`.
  // defer: its accesses are not paid yet; the caller takes them (take_deferred, before any other allocation)
  // and pays them (pay_list) once its own host state is settled.
  // `object` false: an OS table (a factory's), freed and reused like the others but not counted in live_bytes.
  uint64_t allocate_block(ppc::Hart* h, unsigned cpu, const std::string& name, uint64_t bytes, bool defer = false,
                          bool object = true);
  // (A value with no heap storage: it lives on a CPU's SystemC thread across timed accesses, and a run may end
  // with that thread suspended, its stack never unwound.)
  struct Deferred {
    std::array<std::pair<mem::AccessKind, uint64_t>, 64> at{};
    unsigned n = 0;
  };
  Deferred take_deferred();
  static void pay_list(ppc::Hart* h, const Deferred& list);
  // Gives a block back (any allocation of this heap), into CPU `cpu`'s pool or the global one.
  void free_block(ppc::Hart* h, unsigned cpu, uint64_t addr);
  // Whether [addr] lies in a block that is free now (host view, for the safety oracle).
  bool is_free(uint64_t addr) const;
  // The size of the allocation at `addr` (0 if none starts there).
  uint64_t block_bytes(uint64_t addr) const;
  // Told when a freed block is handed out again (addr, bytes).
  void on_reuse(std::function<void(uint64_t, uint64_t)> f) { reuse_observers_.push_back(std::move(f)); }
  void set_local_blocks(uint32_t n) { local_blocks_ = n; }
  void set_cpus(unsigned cpus) { pools_.assign(cpus, 0); }

  // Bytes of objects' blocks in use (allocate_block's: reps, shared states, swaps' structures; not the
  // tables, code and threads carved for the whole run), its peak, and every change with its cycle (0:
  // set-up). The pools' own headers (made at each CPU's first free) are pool_bytes().
  uint64_t live_bytes() const { return object_bytes_; }
  uint64_t pool_bytes() const { return pool_bytes_; }
  uint64_t peak_bytes() const { return peak_; }
  uint64_t freed_bytes() const { return freed_total_; }
  uint64_t reused_bytes() const { return reused_total_; }
  uint64_t frees() const { return frees_; }
  uint64_t reuses() const { return reuses_; }
  const std::vector<std::pair<uint64_t, uint64_t>>& live_history() const { return history_; }

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

  static constexpr unsigned kSmallClasses = 32, kClasses = kSmallClasses + 1;  // 1..32 lines, then large
  static constexpr uint64_t kPoolBytes = 16 * uint64_t{kClasses};               // [head][count] per class
  struct Block {
    uint64_t bytes;      // capacity
    uint32_t region;     // its statistics region while allocated
    bool free = false;
    bool object = false;  // made by allocate_block (counted in live_bytes)
  };
  unsigned class_of(uint64_t lines) const { return lines <= kSmallClasses ? static_cast<unsigned>(lines) - 1 : kSmallClasses; }
  uint64_t pool(unsigned cpu);  // CPU `cpu`'s pool header (made at its first free); kGlobal: the global pool
  uint64_t pop(uint64_t head, std::vector<uint64_t>& list, uint64_t rounded, bool exact);
  void push(uint64_t head, std::vector<uint64_t>& list, uint64_t addr);
  void lock_global(bool take);
  void note(ppc::Hart* h);
  // The accesses of one allocation or free, paid through h's caches once its decisions are made.
  struct Paid {
    mem::AccessKind kind;
    uint64_t addr;
  };
  void later(mem::AccessKind kind, uint64_t addr);
  void pay(ppc::Hart* h);
  std::array<Paid, 64> paid_{};
  unsigned npaid_ = 0;
  static constexpr uint64_t kLinkWord = 16, kSizeWord = 24;  // in a free block
  static constexpr unsigned kGlobal = ~0u;

  std::map<uint64_t, Block> blocks_;  // every allocation, by address
  std::vector<uint64_t> pools_;       // per CPU: its pool header, 0 until its first free
  uint64_t global_ = 0;               // [lock][pad] then the classes
  std::vector<std::vector<uint64_t>> local_lists_, global_lists_;  // host mirrors: per pool and class, top last
  uint32_t local_blocks_ = 32;
  uint64_t clock_ = 0;  // the latest cycle a hart's work was noted at
  uint64_t free_bytes_ = 0, pool_bytes_ = 0, object_bytes_ = 0, peak_ = 0, freed_total_ = 0, reused_total_ = 0, frees_ = 0, reuses_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> history_;
  std::vector<std::function<void(uint64_t, uint64_t)>> reuse_observers_;
};

}  // namespace quiesce::os
