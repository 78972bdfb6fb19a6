// What a core reaches outside memory: the MMIO block and system calls. The
// platform implements it; a core never knows what sits behind an address.
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
};

}  // namespace quiesce::ppc
