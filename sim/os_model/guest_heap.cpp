#include "os_model/guest_heap.h"

#include <bit>

#include <fmt/format.h>

namespace quiesce::os {

GuestHeap::GuestHeap(mem::GuestMemory& memory, mem::RegionMap& regions, uint64_t base, uint64_t limit,
                     uint32_t line_bytes)
    : memory_(memory), regions_(regions), base_(base), next_(base), limit_(limit), line_bytes_(line_bytes) {
  if (base > limit || !memory.contains(base, limit - base))
    throw GuestHeapExhausted(fmt::format("OS heap 0x{:x}..0x{:x} is not inside guest memory", base, limit));
}

uint64_t GuestHeap::allocate(const std::string& name, uint64_t bytes, uint64_t align) {
  if (align == 0) align = line_bytes_;
  if (!std::has_single_bit(align)) throw std::invalid_argument(fmt::format("alignment {} is not a power of two", align));
  const uint64_t at = (next_ + align - 1) & ~(align - 1);
  if (at < next_ || bytes > limit_ - std::min(at, limit_) || at > limit_)
    throw GuestHeapExhausted(fmt::format(
        "guest memory for OS structures is exhausted: {} needs {} bytes, {} of {} used (raise machine.memory.size_mib)",
        name, bytes, used(), limit_ - base_));
  next_ = at + bytes;
  memory_.fill(at, 0, bytes);
  regions_.add(name, at, bytes);
  return at;
}

}  // namespace quiesce::os
