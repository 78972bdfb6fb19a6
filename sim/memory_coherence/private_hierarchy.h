// One CPU's private caches: L1I, L1D and, unless the L2 is shared, its own L2.
// The "coherent" level is the outermost private data cache (the L2, or the
// L1D with a shared L2): the directory tracks it and it includes the L1D.
// The L1I is not kept coherent with stores (as on PowerPC): only icbi removes
// its lines, and it never holds write permission.
#pragma once
#include <algorithm>
#include <optional>
#include <vector>

#include "memory_coherence/cache.h"
#include "memory_coherence/coherence_stats.h"
#include "memory_coherence/hierarchy_config.h"

namespace quiesce::mem {

struct PrivateHierarchy {
  explicit PrivateHierarchy(const HierarchyConfig& h)
      : l1i(h.l1i, h.line_bytes), l1d(h.l1d, h.line_bytes), store_done(h.store_buffer ? h.store_buffer : 1, 0) {
    if (!h.l2_shared) l2.emplace(h.l2, h.line_bytes);
  }

  Cache& coherent() { return l2 ? *l2 : l1d; }
  const Cache& coherent() const { return l2 ? *l2 : l1d; }

  // Removes the line from the data caches; returns what the coherent level
  // held. Losing the reserved line loses the reservation: another CPU gaining
  // it for writing always goes through here.
  Cache::Line drop(uint64_t line) {
    if (line == reservation) reservation = Cache::kNoLine;
    Cache::Line was;
    if (const Cache::Line* l = coherent().peek(line)) was = *l;
    coherent().invalidate(line);
    if (l2) l1d.invalidate(line);
    return was;
  }
  // Sets the state (and version) of a line present at the coherent level, in
  // every data level holding it.
  void set(uint64_t line, LineState s, uint64_t version) {
    for (Cache* c : {&coherent(), l2 ? &l1d : nullptr})
      if (c)
        if (Cache::Line* l = c->peek(line)) l->state = s, l->version = version;
  }

  // A store retires into the store buffer; the core waits only for a free
  // entry. Returns the cycles the core is held: that wait plus `store_latency`.
  uint32_t buffer_store(uint64_t issue, uint64_t complete, uint32_t store_latency) {
    uint64_t& slot = store_done[store_head];
    if (++store_head == store_done.size()) store_head = 0;  // a ring (no division on every store)
    const uint64_t stall = slot > issue ? slot - issue : 0;
    slot = std::max(complete, issue + stall);
    counters.store_buffer_stall_cycles += stall;
    return static_cast<uint32_t>(stall + store_latency);
  }

  Cache l1i, l1d;
  std::optional<Cache> l2;
  std::vector<uint64_t> store_done;  // completion cycle of each store-buffer entry (a ring)
  uint32_t store_head = 0;
  uint64_t reservation = Cache::kNoLine;  // reserved line (larx), or none
  CoherenceCounters counters;
};

}  // namespace quiesce::mem
