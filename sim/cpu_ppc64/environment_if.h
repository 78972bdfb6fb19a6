// What a core reaches outside memory: the MMIO block, system calls and host
// calls. The platform implements it; a core never knows what sits behind an
// address.
#pragma once
#include <cstdint>

namespace quiesce::ppc {

class Hart;

enum class HartAction : uint8_t { Continue, Halt, Exit, Fault };

class Environment_if {
 public:
  virtual ~Environment_if() = default;
  virtual bool is_mmio(uint64_t addr) const = 0;
  virtual HartAction mmio_load(Hart& h, uint64_t addr, unsigned size, uint64_t& value) = 0;
  virtual HartAction mmio_store(Hart& h, uint64_t addr, unsigned size, uint64_t value) = 0;
  virtual HartAction system_call(Hart& h) = 0;

  // Host calls: guest code enters host-modelled code (the OS machinery) by
  // branching into this address window, outside guest memory. The hart then
  // calls host_call() instead of fetching; the handler does its work (paying
  // cycles and memory traffic through the hart) and sets the hart's pc, e.g.
  // to LR so the call returns like a function. An empty window: none.
  struct HostCallWindow {
    uint64_t base = 0, bytes = 0;
  };
  virtual HostCallWindow host_call_window() const { return {}; }
  virtual HartAction host_call(Hart&, uint64_t /*pc*/) { return HartAction::Fault; }

  // Watched code (DecodeCache::watch): called before each execution of an
  // instruction in a watched range, with the hart's state as it is then. An
  // observer: it must not change the hart's state or time.
  virtual void watched(Hart&, uint64_t /*pc*/) {}
};

}  // namespace quiesce::ppc
