#include "memory_coherence/guest_memory.h"

#include <algorithm>
#include <stdexcept>

namespace quiesce::mem {

GuestMemory::GuestMemory(uint64_t size_bytes) : size_(size_bytes), unguarded_(size_bytes) {
  if (size_bytes == 0 || size_bytes > (uint64_t{1} << 40))
    throw std::invalid_argument("guest memory size must be between 1 byte and 1 TiB");
  pages_.resize((size_bytes + kPageSize - 1) >> kPageBits);
}

bool GuestMemory::in_stacks(uint64_t addr, uint64_t len) const {
  if (unguarded_ == size_ || addr < guard_floor_ || addr >= size_ || len > size_ - addr) return false;
  const uint64_t off = stack_mask_ ? (addr - guard_floor_) & stack_mask_ : (addr - guard_floor_) % stack_bytes_;
  if (off < guard_bytes_ || len > stack_bytes_ - off) return false;  // in its guard, or reaching the next stack's
  window_ = addr - off + guard_bytes_, window_bytes_ = stack_bytes_ - guard_bytes_;
  return true;
}

void GuestMemory::read(uint64_t addr, void* dst, uint64_t len) {
  auto* out = static_cast<uint8_t*>(dst);
  while (len) {
    uint64_t off = addr & (kPageSize - 1);
    uint64_t n = std::min(len, kPageSize - off);
    std::memcpy(out, page_ptr(addr) + off, n);
    out += n, addr += n, len -= n;
  }
}

void GuestMemory::write(uint64_t addr, const void* src, uint64_t len) {
  auto* in = static_cast<const uint8_t*>(src);
  while (len) {
    uint64_t off = addr & (kPageSize - 1);
    uint64_t n = std::min(len, kPageSize - off);
    std::memcpy(page_ptr(addr) + off, in, n);
    in += n, addr += n, len -= n;
  }
}

void GuestMemory::fill(uint64_t addr, uint8_t value, uint64_t len) {
  while (len) {
    uint64_t off = addr & (kPageSize - 1);
    uint64_t n = std::min(len, kPageSize - off);
    // A page not yet allocated reads as zero: zeroing it needs no page (a heap's big zeroed
    // areas, the stacks and the bss, stay unallocated until touched).
    if (value != 0 || pages_[addr >> kPageBits]) std::memset(page_ptr(addr) + off, value, n);
    addr += n, len -= n;
  }
}

}  // namespace quiesce::mem
