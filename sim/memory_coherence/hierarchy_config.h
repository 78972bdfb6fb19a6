// Settings of the coherent memory hierarchy: cache geometry, latencies, and
// the occupancy of the shared resources that make contention cost time.
// Defaults in the PPC970/POWER5 spirit at 2 GHz. Every latency is in core
// cycles; "load-to-use" means from the load's issue to its data being usable.
//
// Composition of an uncontended data access (private L2, the default):
//   L1D hit          l1d.latency
//   L2 hit           l2.latency
//   from memory      l2.latency + 2*interconnect.latency + directory.latency + memory.latency
//   from a cache     l2.latency + 3*interconnect.latency + directory.latency + c2c_latency
//   upgrade (S->M)   l2.latency + 2*interconnect.latency + directory.latency
//                    (+ 2*interconnect.latency when other sharers must be invalidated)
// With a shared L2 the directory sits at the L2: an L1D miss costs l2.latency,
// plus memory.latency on an L2 miss, or interconnect.latency + c2c_latency when
// another CPU's L1D owns the line.
#pragma once
#include <cstdint>

namespace quiesce::mem {

struct CacheGeometry {
  uint64_t size_bytes;
  uint32_t ways;
  uint32_t latency;  // load-to-use on a hit (L1I: extra fetch cycles on a new line)
};

struct HierarchyConfig {
  uint32_t line_bytes = 128;
  CacheGeometry l1i{64 << 10, 2, 0};
  CacheGeometry l1d{32 << 10, 2, 3};
  CacheGeometry l2{512 << 10, 8, 13};
  bool l2_shared = false;       // one L2 for all CPUs (banked) instead of one per CPU
  uint32_t l2_banks = 4;        // shared L2 only
  uint32_t l2_occupancy = 2;    // cycles a shared-L2 bank is busy per request

  uint32_t interconnect_latency = 8;    // one hop between a CPU and a directory bank or another CPU
  uint32_t interconnect_occupancy = 2;  // cycles one message holds the (single, shared) interconnect
  uint32_t directory_latency = 6;       // directory lookup
  uint32_t directory_banks = 8;         // interleaved by line address
  uint32_t directory_occupancy = 4;     // cycles a bank is busy per transaction
  uint32_t memory_latency = 210;        // DRAM access at the memory controller
  uint32_t memory_banks = 8;
  uint32_t memory_occupancy = 24;       // cycles a memory bank is busy per access
  uint32_t c2c_latency = 40;            // the owning cache's lookup and data transfer

  uint32_t store_latency = 1;       // a store entering the store buffer
  uint32_t store_buffer = 8;        // entries; a store stalls only when it is full
  bool larx_exclusive = true;       // larx fetches the line for writing (as POWER's "read with intent")
  uint32_t larx_hold_cycles = 24;   // after a larx fill, others' requests wait this long (forward progress)
  bool sync_on_coherence = true;    // a CPU syncs with SystemC time before a miss or an upgrade
  bool sync_on_contended = true;    // ...and before hits on lines that moved between CPUs (see coherent_memory.h)
  bool check_invariants = false;    // single-writer/multiple-reader and data-value checks on every access
};

}  // namespace quiesce::mem
