#include "memory_coherence/cache.h"

#include <bit>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace quiesce::mem {

const char* to_string(LineState s) {
  static constexpr const char* kNames[] = {"I", "S", "E", "M"};
  return kNames[static_cast<int>(s)];
}

Cache::Cache(const CacheGeometry& g, uint32_t line_bytes) : ways_(g.ways), latency_(g.latency) {
  if (g.ways == 0 || line_bytes == 0 || g.size_bytes % (uint64_t{line_bytes} * g.ways) != 0)
    throw std::invalid_argument(fmt::format("cache of {} bytes cannot hold {}-way sets of {}-byte lines",
                                            g.size_bytes, g.ways, line_bytes));
  const uint64_t sets = g.size_bytes / line_bytes / g.ways;
  if (!std::has_single_bit(sets))
    throw std::invalid_argument(fmt::format("cache of {} bytes, {} ways, {}-byte lines has {} sets: not a power of two",
                                            g.size_bytes, g.ways, line_bytes, sets));
  set_mask_ = sets - 1;
  lines_.resize(sets * g.ways);
}

Cache::Line* Cache::allocate(uint64_t line, Line& victim) {
  Line* set = &lines_[(line & set_mask_) * ways_];
  Line* slot = &set[0];
  for (uint32_t w = 0; w < ways_; ++w) {
    if (set[w].tag == kNoLine) { slot = &set[w]; break; }
    if (set[w].lru < slot->lru) slot = &set[w];
  }
  victim = *slot;
  if (victim.tag == kNoLine) victim.state = LineState::I;
  *slot = Line{line, 0, ++clock_, LineState::I, false};
  return slot;
}

LineState Cache::invalidate(uint64_t line) {
  Line* l = peek(line);
  if (!l) return LineState::I;
  const LineState was = l->state;
  *l = Line{};
  return was;
}

}  // namespace quiesce::mem
