#include "memory_coherence/fixed_latency_memory.h"

#include <bit>
#include <stdexcept>

namespace quiesce::mem {

FixedLatencyMemory::FixedLatencyMemory(unsigned cpus, FixedLatencyConfig cfg)
    : cfg_(cfg), reservation_(cpus, kNone) {
  if (!std::has_single_bit(cfg.line_bytes)) throw std::invalid_argument("line size must be a power of two");
  line_shift_ = static_cast<unsigned>(std::countr_zero(cfg.line_bytes));
}

void FixedLatencyMemory::kill_reservations(unsigned writer, uint64_t line) {
  if (!active_) return;
  for (unsigned c = 0; c < reservation_.size(); ++c)
    if (c != writer && reservation_[c] == line) reservation_[c] = kNone, --active_;
}

MemResponse FixedLatencyMemory::access(const MemRequest& req) {
  const uint64_t line = req.addr >> line_shift_;
  uint64_t& mine = reservation_[req.cpu];
  switch (req.kind) {
    case AccessKind::IFetch: return {cfg_.ifetch_latency};
    case AccessKind::Load: case AccessKind::DcbT: return {cfg_.load_latency};
    case AccessKind::Larx:
      if (mine == kNone) ++active_;
      mine = line;
      return {cfg_.load_latency};
    case AccessKind::Stcx: {
      const bool ok = mine == line;
      if (mine != kNone) mine = kNone, --active_;
      if (ok) kill_reservations(req.cpu, line);
      return {cfg_.store_latency, ok};
    }
    case AccessKind::Store: case AccessKind::DcbZ:
      kill_reservations(req.cpu, line);
      return {cfg_.store_latency};
    default: return {cfg_.store_latency};
  }
}

}  // namespace quiesce::mem
