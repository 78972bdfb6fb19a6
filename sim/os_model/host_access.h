// Host-modelled OS code touching guest memory: each helper pays the access's
// timing through the running CPU's port (caches, coherence, queueing) and then
// performs it on functional memory, so guest code and the OS model contend
// for the same lines. Atomic updates are a larx/stcx. pair that succeeds (the
// host code cannot lose its reservation between the two: no guest instruction
// runs in between on this CPU).
#pragma once
#include <cstdint>

#include "cpu_ppc64/hart.h"

namespace quiesce::os {

inline uint64_t host_load(ppc::Hart& h, uint64_t addr) {
  h.timed_access(mem::AccessKind::Load, addr, 8);
  return h.memory().load<uint64_t>(addr);
}

inline void host_store(ppc::Hart& h, uint64_t addr, uint64_t value) {
  h.timed_access(mem::AccessKind::Store, addr, 8);
  h.memory().store<uint64_t>(addr, value);
}

inline uint64_t host_atomic_add(ppc::Hart& h, uint64_t addr, int64_t delta) {
  h.timed_access(mem::AccessKind::Larx, addr, 8);
  h.timed_access(mem::AccessKind::Stcx, addr, 8);
  const uint64_t v = h.memory().load<uint64_t>(addr) + static_cast<uint64_t>(delta);
  h.memory().store<uint64_t>(addr, v);
  return v;
}

// Touches every line of [addr, addr+bytes) with a load or a store (a context
// switch saving or restoring registers in a thread descriptor).
inline void host_touch(ppc::Hart& h, uint64_t addr, uint64_t bytes, bool store, uint32_t line_bytes) {
  const uint64_t first = addr & ~uint64_t{line_bytes - 1};
  for (uint64_t a = first; a < addr + bytes; a += line_bytes)
    h.timed_access(store ? mem::AccessKind::Store : mem::AccessKind::Load, a < addr ? addr : a, 8);
}

}  // namespace quiesce::os
