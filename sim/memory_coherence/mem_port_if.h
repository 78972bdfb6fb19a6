// The one interface between a CPU and the memory system: timing, coherence and
// reservations. Data moves through GuestMemory (functional); this port says what
// the access costs and whether a stcx. succeeds. Any timing model (fixed latency,
// coherent caches) plugs in here without the core changing.
#pragma once
#include <cstdint>

namespace quiesce::mem {

enum class AccessKind : uint8_t {
  IFetch,    // instruction fetch of a new line
  Load,
  Store,
  Larx,      // load and reserve
  Stcx,      // store conditional: succeeds only while the reservation holds
  DcbZ,      // zero a line (establishes it writable)
  DcbF,      // flush line to memory and invalidate
  DcbSt,     // write back line
  DcbT,      // touch hint
  Icbi,      // invalidate instruction cache line
  Sync,      // heavyweight barrier (sync/hwsync)
  LwSync,    // lightweight barrier
  Eieio,
  ISync,     // context synchronisation
};

struct MemRequest {
  AccessKind kind;
  unsigned cpu;
  uint64_t addr;
  unsigned size;
  uint64_t cycle;  // the requesting CPU's local cycle at issue
};

struct MemResponse {
  uint32_t latency;  // cycles until the data is available (or the op is done)
  bool ok = true;    // stcx.: whether the store was performed
};

class L1HitPath;

class MemPort_if {
 public:
  virtual ~MemPort_if() = default;
  virtual MemResponse access(const MemRequest& req) = 0;
  // Where `cpu` may serve its L1 hits inline instead of calling access()
  // (l1_hit_path.h), or null if this model has no such path.
  virtual L1HitPath* hit_path(unsigned /*cpu*/) { return nullptr; }
};

}  // namespace quiesce::mem
