// A set-associative cache tag array with LRU replacement. Tags only: data
// lives in GuestMemory (functional). Each line carries its MESI state and,
// for the invariant checker, the version of the data it holds.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "memory_coherence/hierarchy_config.h"

namespace quiesce::mem {

enum class LineState : uint8_t { I, S, E, M };
const char* to_string(LineState s);

class Cache {
 public:
  struct Line {
    uint64_t tag = kNoLine;  // line number (address >> line shift)
    uint64_t version = 0;    // data version held (checked by the invariant checker)
    uint64_t lru = 0;        // last-use stamp
    LineState state = LineState::I;
    bool contended = false;  // arrived from another cache or took it from others: hits sync (see CoherentMemory)
  };
  static constexpr uint64_t kNoLine = ~uint64_t{0};

  // Throws std::invalid_argument when the geometry gives no power-of-two set count.
  Cache(const CacheGeometry& g, uint32_t line_bytes);

  // The line if present (any valid state); a hit refreshes LRU.
  Line* find(uint64_t line) {
    Line* l = peek(line);
    if (l) touch(*l);
    return l;
  }
  // Like find, without touching LRU (for snoops and checks).
  const Line* peek(uint64_t line) const {
    const Line* set = &lines_[(line & set_mask_) * ways_];
    for (uint32_t w = 0; w < ways_; ++w)
      if (set[w].tag == line) return &set[w];
    return nullptr;
  }
  Line* peek(uint64_t line) { return const_cast<Line*>(std::as_const(*this).peek(line)); }
  // Marks a line found by peek as the most recently used.
  void touch(Line& l) { l.lru = ++clock_; }

  // Makes a slot for `line` (which must be absent). The slot's previous
  // contents are copied to `victim` (victim.state == I if the slot was free).
  Line* allocate(uint64_t line, Line& victim);
  // Removes the line; returns its former state (I if absent).
  LineState invalidate(uint64_t line);

  uint32_t latency() const { return latency_; }
  uint64_t sets() const { return set_mask_ + 1; }
  uint32_t ways() const { return ways_; }
  template <typename F> void for_each_valid(F&& f) const {
    for (const Line& l : lines_)
      if (l.tag != kNoLine) f(l);
  }

 private:
  std::vector<Line> lines_;
  uint64_t set_mask_;
  uint32_t ways_, latency_;
  uint64_t clock_ = 0;
};

}  // namespace quiesce::mem
