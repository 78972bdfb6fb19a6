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
  bool contains(uint64_t addr, uint64_t len) const {
    return addr < size_ && len <= size_ - addr;
  }
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
  uint64_t size_;
  std::vector<std::unique_ptr<uint8_t[]>> pages_;
};

}  // namespace quiesce::mem
