// The simplest timing model behind MemPort_if: every access costs a fixed number
// of cycles, per kind. It also keeps the larx/stcx. reservations (one line per
// CPU), cleared when another CPU stores to the line or by the owner's stcx.
#pragma once
#include <cstdint>
#include <vector>

#include "memory_coherence/mem_port_if.h"

namespace quiesce::mem {

struct FixedLatencyConfig {
  uint32_t load_latency = 3;    // cycles from issue to data (an L1 hit)
  uint32_t store_latency = 1;
  uint32_t ifetch_latency = 0;  // fetch of a new line beyond the pipeline's own
  uint32_t line_bytes = 128;    // reservation granule
};

class FixedLatencyMemory final : public MemPort_if {
 public:
  FixedLatencyMemory(unsigned cpus, FixedLatencyConfig cfg);
  MemResponse access(const MemRequest& req) override;

 private:
  static constexpr uint64_t kNone = ~uint64_t{0};
  void kill_reservations(unsigned writer, uint64_t line);

  FixedLatencyConfig cfg_;
  unsigned line_shift_;
  std::vector<uint64_t> reservation_;  // reserved line per CPU, kNone if none
  unsigned active_ = 0;                // number of CPUs holding a reservation
};

}  // namespace quiesce::mem
