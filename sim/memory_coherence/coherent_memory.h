// The coherent memory hierarchy behind MemPort_if: per CPU an L1I, an L1D and
// (unless shared) an L2, a MESI directory at the point of coherence, larx/stcx.
// reservations, a store buffer, statistics per CPU and per named region, and
// an optional invariant checker. Data itself stays in GuestMemory: the caches
// hold tags, states and data versions, which is what timing and the checker need.
//
// Time. A CPU runs ahead of SystemC time by up to a quantum. Misses and
// upgrades synchronise first (sync_on_coherence), so they are performed in
// simulated-time order. That alone does not stop a CPU that holds a line from
// hitting it for the rest of its quantum after another CPU, earlier in
// simulated time, asked for it. So lines that moved between CPUs (obtained
// from another cache, or taken from others) are marked contended, and hits on
// them synchronise too (sync_on_contended): shared lines are ordered
// accurately while private work runs decoupled.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "memory_coherence/coherence_stats.h"
#include "memory_coherence/hierarchy_config.h"
#include "memory_coherence/l1_hit_path.h"
#include "memory_coherence/mem_port_if.h"
#include "memory_coherence/mesi_directory.h"
#include "memory_coherence/private_hierarchy.h"
#include "memory_coherence/region_map.h"
#include "memory_coherence/time_sync_if.h"

namespace quiesce::mem {

class CoherentMemory final : public MemPort_if {
 public:
  // Throws std::invalid_argument for an impossible geometry.
  CoherentMemory(unsigned cpus, const HierarchyConfig& h, TimeSync_if* sync = nullptr);
  CoherentMemory(const CoherentMemory&) = delete;  // the hit paths point into it
  CoherentMemory& operator=(const CoherentMemory&) = delete;
  MemResponse access(const MemRequest& req) override;
  L1HitPath* hit_path(unsigned cpu) override { return &hit_paths_[cpu]; }

  RegionMap& regions() { return regions_; }
  const RegionMap& regions() const { return regions_; }
  const CoherenceCounters& cpu_counters(unsigned cpu) const { return cpus_[cpu].counters; }
  // Counters per region id (RegionMap ids; regions added later start at zero),
  // in all or as caused by one CPU's requests. Only the (region, CPU) pairs a
  // CPU's requests reached have counters: with regions per CPU, a dense table
  // would grow as the square of the CPU count.
  CoherenceCounters region_counters(uint32_t id) const {
    CoherenceCounters sum;
    if (id < region_cpus_.size())
      for (const auto& [cpu, c] : region_cpus_[id]) sum += *c;
    return sum;
  }
  CoherenceCounters region_cpu_counters(uint32_t id, unsigned cpu) const {
    const auto it = pair_counters_.find(pair_key(id, cpu));
    return it == pair_counters_.end() ? CoherenceCounters{} : *it->second;
  }
  struct CpuCounters {
    unsigned cpu;
    CoherenceCounters counters;
  };
  // The CPUs whose requests counted anything in region `id`, ascending, with their counters.
  std::vector<CpuCounters> region_cpus(uint32_t id) const;
  const HierarchyConfig& config() const { return h_; }
  const MesiDirectory& directory() const { return dir_; }
  const PrivateHierarchy& cpu(unsigned c) const { return cpus_[c]; }
  uint64_t line_of(uint64_t addr) const { return addr >> line_shift_; }

  // Invariant checking (config().check_invariants): violations found so far.
  uint64_t violations() const { return violations_; }
  const std::string& first_violation() const { return first_violation_; }
  // Checks every line any cache holds (the per-access checks cover only the
  // line being accessed).
  void check_all();

 private:
  uint32_t read(const MemRequest& r, uint64_t line, PrivateHierarchy& p, CoherenceCounters& reg, bool larx);
  uint32_t write_permission(const MemRequest& r, uint64_t line, PrivateHierarchy& p, CoherenceCounters& reg, bool larx,
                            bool no_data, bool wait_for_start);
  uint32_t fetch(const MemRequest& r, uint64_t line, PrivateHierarchy& p);
  uint32_t cache_op(const MemRequest& r, uint64_t line, CoherenceRequest req, CoherenceCounters& reg);
  void install(unsigned cpu, uint64_t line, const Grant& g, LineState s, bool into_l1d);
  void fill_l1d(PrivateHierarchy& p, uint64_t line, const Cache::Line& from);
  void written(unsigned cpu, uint64_t line);
  Cache::Line* resync(const MemRequest& r, Cache& c, uint64_t line);
  // The counters of addr's region for cpu's requests (through the CPU's region cache).
  CoherenceCounters& region_of(unsigned cpu, uint64_t addr) {
    const uint64_t line = addr >> line_shift_;
    RegionCache* slots = &region_cache_[size_t{cpu} << RegionCache::kBits];
    if (CoherenceCounters* c = RegionCache::find(slots, line, addr, regions_.generation())) [[likely]]
      return *c;
    return region_lookup(slots[line & (RegionCache::kSlots - 1)], cpu, addr);
  }
  CoherenceCounters& region_lookup(RegionCache& rc, unsigned cpu, uint64_t addr);
  void check_read(unsigned cpu, uint64_t line, uint64_t version);
  void check_line(uint64_t line);
  void violation(std::string what);

  HierarchyConfig h_;
  TimeSync_if* sync_;
  bool sync_hits_;
  unsigned line_shift_;
  std::vector<PrivateHierarchy> cpus_;
  MesiDirectory dir_;
  RegionMap regions_;
  static uint64_t pair_key(uint32_t id, unsigned cpu) { return uint64_t{id} << 32 | cpu; }
  // A deque: growing it keeps references valid, and a CPU waiting inside a
  // request holds one to its region's counters while others add regions.
  std::deque<CoherenceCounters> counters_;  // one per (region, CPU) pair reached, in the order reached
  std::unordered_map<uint64_t, CoherenceCounters*> pair_counters_;  // by pair_key(region id, cpu)
  std::vector<std::vector<std::pair<unsigned, const CoherenceCounters*>>> region_cpus_;  // per region id: (cpu, counters)
  // Per CPU, RegionCache::kSlots slots direct-mapped by line, each the interval
  // of the last lookup that used it (counters in the deque: they never move). A
  // CPU moves among stacks, descriptors, tables and object state all the time;
  // one remembered interval missed on most accesses.
  std::vector<RegionCache> region_cache_;
  std::vector<L1HitPath> hit_paths_;  // per CPU

  std::unordered_map<uint64_t, uint64_t> latest_;  // checker: latest data version per line
  uint64_t violations_ = 0;
  std::string first_violation_;
};

}  // namespace quiesce::mem
