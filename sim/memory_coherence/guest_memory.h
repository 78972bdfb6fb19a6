// Guest physical memory: sparse (pages allocated on first touch), big-endian,
// one mapped RAM range [0, size). Accessors are host-endian values; the
// byte order on the guest side is big-endian.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace quiesce::mem {

class GuestMemory {
 public:
  static constexpr unsigned kPageBits = 16;  // 64 KiB host allocation unit
  static constexpr uint64_t kPageSize = uint64_t{1} << kPageBits;

  explicit GuestMemory(uint64_t size_bytes);

  uint64_t size() const { return size_; }
  // Mapped: inside [0, size) and touching no stack guard (an access there is a fault, as outside memory).
  // Two range tests, each the bounds check there was before the guards: below the stacks, and in the
  // part above its guard of the stack last found (a CPU works on its own stack for a while); anything
  // else, out of line, by its offset in its stack.
  bool contains(uint64_t addr, uint64_t len) const {
    if (addr < unguarded_ && len <= unguarded_ - addr) [[likely]] return true;
    if (addr - window_ < window_bytes_ && len <= window_bytes_ - (addr - window_)) return true;
    return in_stacks(addr, len);
  }
  // Guard pages below every CPU's stack: the stacks are `stack_bytes` each from `floor` to the top of
  // memory, and the lowest `guard_bytes` of each are unmapped, so an overflow faults at once instead of
  // running into the next CPU's stack (or, for the last one, the program). No guards until set.
  void set_stack_guards(uint64_t floor, uint64_t stack_bytes, uint64_t guard_bytes) {
    guard_floor_ = floor, stack_bytes_ = stack_bytes, guard_bytes_ = guard_bytes;
    stack_mask_ = (stack_bytes & (stack_bytes - 1)) == 0 ? stack_bytes - 1 : 0;  // a power of two: no division
    unguarded_ = guard_bytes && floor < size_ ? floor : size_;
    window_ = window_bytes_ = 0;
  }
  // The stack whose guard holds `addr` (0: the stack at the top of memory), or -1.
  int guard_of(uint64_t addr) const {
    if (guard_bytes_ == 0 || addr < guard_floor_ || addr >= size_ || (addr - guard_floor_) % stack_bytes_ >= guard_bytes_)
      return -1;
    return static_cast<int>((size_ - 1 - addr) / stack_bytes_);
  }
  uint64_t guard_bytes() const { return guard_bytes_; }
  uint64_t stack_bytes() const { return stack_bytes_; }
  // Host pointer to the page holding addr (allocating it); addr must be mapped.
  uint8_t* page_ptr(uint64_t addr) {
    auto& p = pages_[addr >> kPageBits];
    if (!p) p = std::make_unique<uint8_t[]>(kPageSize);  // value-initialised: zero
    return p.get();
  }
  uint8_t* host_ptr(uint64_t addr) { return page_ptr(addr) + (addr & (kPageSize - 1)); }

  // Byte-range copies that may cross pages (used by loaders and slow paths).
  void read(uint64_t addr, void* dst, uint64_t len);
  void write(uint64_t addr, const void* src, uint64_t len);
  void fill(uint64_t addr, uint8_t value, uint64_t len);

  template <typename T> T load(uint64_t addr) {
    T v;
    read(addr, &v, sizeof v);
    return from_be(v);
  }
  template <typename T> void store(uint64_t addr, T v) {
    v = from_be(v);
    write(addr, &v, sizeof v);
  }

  template <typename T> static T from_be(T v) {
    if constexpr (sizeof(T) == 1) return v;
    else if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
    else if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
    else return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
  }

 private:
  // An access not wholly below the stacks: mapped if it lies in one stack, above that stack's guard. (An
  // access from below into the stacks touches the lowest one's guard; without guards, unguarded_ is the
  // size and anything past it is outside memory.)
  // Out of line: contains() stays small. A stack found becomes the window.
  [[gnu::noinline]] bool in_stacks(uint64_t addr, uint64_t len) const;

  uint64_t size_;
  uint64_t unguarded_;  // [0, unguarded_) has no guard: the stacks' floor, or the size without guards
  // [window_, window_ + window_bytes_): the mapped part of the stack in_stacks last found (none at first).
  mutable uint64_t window_ = 0, window_bytes_ = 0;
  uint64_t guard_floor_ = ~uint64_t{0}, stack_bytes_ = 1, guard_bytes_ = 0, stack_mask_ = 0;
  std::vector<std::unique_ptr<uint8_t[]>> pages_;
};

}  // namespace quiesce::mem
