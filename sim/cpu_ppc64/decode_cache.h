// Predecoded instructions, one 4 KiB page of 1024 slots at a time, shared by all
// cores (like instruction caches kept coherent by icbi). Slots start Undecoded and
// are decoded on first execution; icbi resets a line's slots.
//
// Watched code: every slot of a watched range holds Op::Watch, which makes the
// core tell its environment before executing the instruction there (decoded
// afresh each time). Unwatched code pays nothing; ranges may overlap (a slot
// stays watched while any range holds it). Watching or unwatching replaces the
// pages concerned by changed copies and moves the epoch on, rather than
// rewriting slots in place: a core waiting mid-instruction (a port access that
// syncs with the other CPUs, while host code arms a watch) still holds its old
// slot, intact. A core looks its page up again at its next fetch of a new line
// when the epoch moved (so a loop within one line may run on unwatched a while).
#pragma once
#include <cstdint>
#include <algorithm>
#include <map>
#include <memory>
#include <utility>
#include <vector>

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
    if (!watched_.empty()) mark(addr, len);
  }
  void watch(uint64_t addr, uint64_t len) {
    watched_.emplace_back(addr, len);
    replace_pages(addr, len);
  }
  void unwatch(uint64_t addr, uint64_t len) {
    const auto it = std::find(watched_.begin(), watched_.end(), std::pair{addr, len});
    if (it == watched_.end()) return;
    watched_.erase(it);
    replace_pages(addr, len);
  }
  uint64_t epoch() const { return epoch_; }
  // Visit every decoded slot in address order: f(address, insn).
  template <typename F> void for_each_decoded(F&& f) const {
    for (const auto& [index, page] : pages_)
      for (unsigned i = 0; i < (1u << (kPageBits - 2)); ++i)
        if (page->slot[i].op != Op::Undecoded) f((index << kPageBits) + 4 * uint64_t{i}, page->slot[i]);
  }

 private:
  bool is_watched(uint64_t a) const {
    return std::any_of(watched_.begin(), watched_.end(), [&](const auto& w) { return a >= w.first && a < w.first + w.second; });
  }
  static Insn& slot_of(Page& p, uint64_t a) { return p.slot[(a >> 2) & ((1u << (kPageBits - 2)) - 1)]; }
  // Slots of [addr, addr+len) that some watched range holds become Op::Watch (in place: icbi's path).
  void mark(uint64_t addr, uint64_t len) {
    for (uint64_t a = addr & ~uint64_t{3}; a < addr + len; a += 4)
      if (is_watched(a)) slot_of(page(a >> kPageBits), a) = Insn{.op = Op::Watch};
  }
  // The pages of [addr, addr+len) replaced by copies whose slots there are Watch where watched, else Undecoded.
  void replace_pages(uint64_t addr, uint64_t len) {
    for (uint64_t index = addr >> kPageBits; index <= (addr + len - 1) >> kPageBits; ++index) {
      auto copy = std::make_unique<Page>(page(index));
      const uint64_t base = index << kPageBits;
      for (uint64_t a = std::max(base, addr & ~uint64_t{3}); a < std::min(base + (1u << kPageBits), addr + len); a += 4)
        slot_of(*copy, a) = Insn{.op = is_watched(a) ? Op::Watch : Op::Undecoded};
      retired_.push_back(std::move(pages_[index]));  // a core may still hold a slot of it
      pages_[index] = std::move(copy);
    }
    ++epoch_;
  }

  std::map<uint64_t, std::unique_ptr<Page>> pages_;  // ordered: no hash iteration anywhere
  std::vector<std::pair<uint64_t, uint64_t>> watched_;  // (address, bytes), in the order watched
  std::vector<std::unique_ptr<Page>> retired_;          // replaced pages, kept alive
  uint64_t epoch_ = 0;
};

}  // namespace quiesce::ppc
