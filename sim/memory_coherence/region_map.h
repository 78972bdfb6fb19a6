// Named address ranges for statistics: guest data symbols from the ELF, and
// structures the OS model names through add(). Where ranges overlap, the
// smallest enclosing one owns the address. Region 0 collects everything else.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <set>
#include <vector>

namespace quiesce::mem {

class RegionMap {
 public:
  static constexpr uint32_t kOther = 0;
  RegionMap();

  // Returns the new region's id. Names need not be unique; a zero-size
  // region owns no addresses.
  uint32_t add(std::string name, uint64_t start, uint64_t size);
  uint32_t lookup(uint64_t addr) const;
  // The region owns no addresses any more (memory freed by the OS allocator); its id, name, start and size
  // stay (what it was, for the statistics).
  void remove(uint32_t id);
  // Also gives the largest range [lo, hi) around addr with the same owner,
  // so callers can cache it.
  uint32_t lookup(uint64_t addr, uint64_t& lo, uint64_t& hi) const;
  // Bumped whenever regions change (callers' cached ranges become stale).
  uint64_t generation() const { return generation_; }
  size_t size() const { return names_.size(); }
  const std::string& name(uint32_t id) const { return names_[id]; }
  uint64_t start(uint32_t id) const { return starts_[id]; }
  uint64_t bytes(uint32_t id) const { return sizes_[id]; }

 private:
  struct Interval {
    uint64_t start, end;  // [start, end)
    uint32_t id;
  };
  void rebuild() const;

  std::vector<std::string> names_;
  std::vector<uint64_t> starts_, sizes_;
  std::set<uint32_t> removed_;
  mutable std::vector<Interval> flat_;  // sorted, disjoint; rebuilt lazily
  mutable bool dirty_ = false;
  uint64_t generation_ = 0;
};

}  // namespace quiesce::mem
