// Predecoded instructions, one 4 KiB page of 1024 slots at a time, shared by all
// cores (like instruction caches kept coherent by icbi). Slots start Undecoded and
// are decoded on first execution; icbi resets a line's slots.
#pragma once
#include <cstdint>
#include <map>
#include <memory>

#include "cpu_ppc64/insn.h"

namespace quiesce::ppc {

class DecodeCache {
 public:
  static constexpr unsigned kPageBits = 12;
  struct Page { Insn slot[1u << (kPageBits - 2)]; };

  Page& page(uint64_t page_index) {
    auto& p = pages_[page_index];
    if (!p) p = std::make_unique<Page>();
    return *p;
  }
  // Forget decoded instructions in [addr, addr+len): the next fetch decodes again.
  void invalidate(uint64_t addr, uint64_t len) {
    for (uint64_t a = addr & ~uint64_t{3}; a < addr + len; a += 4) {
      auto it = pages_.find(a >> kPageBits);
      if (it != pages_.end()) it->second->slot[(a >> 2) & ((1u << (kPageBits - 2)) - 1)] = Insn{};
    }
  }
  // Visit every decoded slot in address order: f(address, insn).
  template <typename F> void for_each_decoded(F&& f) const {
    for (const auto& [index, page] : pages_)
      for (unsigned i = 0; i < (1u << (kPageBits - 2)); ++i)
        if (page->slot[i].op != Op::Undecoded) f((index << kPageBits) + 4 * uint64_t{i}, page->slot[i]);
  }

 private:
  std::map<uint64_t, std::unique_ptr<Page>> pages_;  // ordered: no hash iteration anywhere
};

}  // namespace quiesce::ppc
