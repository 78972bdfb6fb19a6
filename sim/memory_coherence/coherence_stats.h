// Coherence statistics, kept per CPU and per named region. Each counter is
// declared once, with its unit and meaning, and every output (the --stats
// JSON, the results tables) is generated from this list.
#pragma once
#include <cstdint>

namespace quiesce::mem {

//  X(name, unit, meaning)
#define QUIESCE_COHERENCE_COUNTERS(X)                                                                    \
  X(accesses, "accesses", "data loads, stores, larx, stcx. and dcb* operations issued (not fetches)")  \
  X(l1d_misses, "accesses", "data accesses that missed the L1 data cache")                             \
  X(misses, "accesses", "accesses needing a coherence request: the line was absent from the CPU's "    \
                        "private caches, or held without write permission for a write")               \
  X(upgrades, "accesses", "of the misses, writes to a line already held shared (ownership, no data)")  \
  X(c2c_transfers, "transfers", "misses whose data came from another CPU's cache instead of memory")  \
  X(memory_reads, "transfers", "misses whose data came from memory (or the shared L2)")                \
  X(invalidations_sent, "copies", "copies in other CPUs' caches invalidated by these requests")       \
  X(invalidations_received, "copies", "copies invalidated in this CPU's caches (per region: of its "  \
                                      "lines) by other CPUs' requests")                              \
  X(downgrades_received, "copies", "exclusive copies downgraded to shared by other CPUs' reads")      \
  X(writebacks, "lines", "dirty lines written back to memory (evictions, dcbf, dcbst, downgrades)")   \
  X(stcx_failures, "instructions", "stcx. that did not store because the reservation was lost")      \
  X(queue_cycles, "cycles", "cycles requests waited for a busy line (transaction in flight or larx "  \
                            "hold), a directory bank, the interconnect or a memory bank")            \
  X(miss_cycles, "cycles", "total latency of the misses, queueing included")                         \
  X(ifetch_misses, "accesses", "instruction fetches that missed the L1 instruction cache")            \
  X(store_buffer_stall_cycles, "cycles", "cycles stores waited for a free store-buffer entry")

struct CoherenceCounters {
#define QUIESCE_DECLARE_COUNTER(name, unit, meaning) uint64_t name = 0;
  QUIESCE_COHERENCE_COUNTERS(QUIESCE_DECLARE_COUNTER)
#undef QUIESCE_DECLARE_COUNTER

  CoherenceCounters& operator+=(const CoherenceCounters& o) {
#define QUIESCE_ADD_COUNTER(name, unit, meaning) name += o.name;
    QUIESCE_COHERENCE_COUNTERS(QUIESCE_ADD_COUNTER)
#undef QUIESCE_ADD_COUNTER
    return *this;
  }
  bool any() const {
#define QUIESCE_ANY_COUNTER(name, unit, meaning) || name != 0
    return false QUIESCE_COHERENCE_COUNTERS(QUIESCE_ANY_COUNTER);
#undef QUIESCE_ANY_COUNTER
  }
};

// Calls f(name, unit, meaning, value) for every counter, in declaration order.
template <typename F> void for_each_counter(const CoherenceCounters& c, F&& f) {
#define QUIESCE_VISIT_COUNTER(name, unit, meaning) f(#name, unit, meaning, c.name);
  QUIESCE_COHERENCE_COUNTERS(QUIESCE_VISIT_COUNTER)
#undef QUIESCE_VISIT_COUNTER
}

}  // namespace quiesce::mem
