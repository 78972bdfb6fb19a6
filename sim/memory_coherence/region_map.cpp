#include "memory_coherence/region_map.h"

#include <algorithm>
#include <set>
#include <utility>

namespace quiesce::mem {

RegionMap::RegionMap() : names_{"(other)"}, starts_{0}, sizes_{0} {}

uint32_t RegionMap::add(std::string name, uint64_t start, uint64_t size) {
  const auto id = static_cast<uint32_t>(names_.size());
  names_.push_back(std::move(name));
  starts_.push_back(start);
  sizes_.push_back(size);
  if (!size) return id;
  ++generation_;
  // The OS heap adds regions at rising addresses while the simulation runs:
  // one past every interval just extends the flat map.
  if (!dirty_ && (flat_.empty() || start >= flat_.back().end) && start + size > start) flat_.push_back({start, start + size, id});
  else dirty_ = true;
  return id;
}

void RegionMap::remove(uint32_t id) {
  if (id == kOther || id >= sizes_.size() || !sizes_[id] || removed_.count(id)) return;
  removed_.insert(id);
  dirty_ = true;
  ++generation_;
}

// Flattens the (possibly nested) ranges into disjoint intervals, each owned by
// the smallest region covering it: a sweep over the range ends with the active
// regions ordered by size. Runs lazily after changes, O(n log n).
void RegionMap::rebuild() const {
  struct Edge {
    uint64_t at;
    bool open;
    uint32_t id;
  };
  std::vector<Edge> edges;
  for (uint32_t id = 1; id < names_.size(); ++id)
    if (sizes_[id] && !removed_.count(id)) edges.push_back({starts_[id], true, id}), edges.push_back({starts_[id] + sizes_[id], false, id});
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.at < b.at; });
  std::set<std::pair<uint64_t, uint32_t>> active;  // (size, id): begin() is the owner
  flat_.clear();
  for (size_t i = 0; i < edges.size();) {
    const uint64_t at = edges[i].at;
    for (; i < edges.size() && edges[i].at == at; ++i) {
      const auto key = std::make_pair(sizes_[edges[i].id], edges[i].id);
      if (edges[i].open) active.insert(key);
      else active.erase(key);
    }
    if (active.empty() || i == edges.size()) continue;
    const uint32_t owner = active.begin()->second;
    const uint64_t next = edges[i].at;
    if (!flat_.empty() && flat_.back().id == owner && flat_.back().end == at) flat_.back().end = next;
    else flat_.push_back({at, next, owner});
  }
  dirty_ = false;
}

uint32_t RegionMap::lookup(uint64_t addr) const {
  uint64_t lo, hi;
  return lookup(addr, lo, hi);
}

uint32_t RegionMap::lookup(uint64_t addr, uint64_t& lo, uint64_t& hi) const {
  if (dirty_) rebuild();
  auto it = std::upper_bound(flat_.begin(), flat_.end(), addr, [](uint64_t a, const Interval& iv) { return a < iv.start; });
  hi = it == flat_.end() ? ~uint64_t{0} : it->start;
  if (it == flat_.begin()) {
    lo = 0;
    return kOther;
  }
  --it;
  if (addr < it->end) {
    lo = it->start, hi = it->end;
    return it->id;
  }
  lo = it->end;
  return kOther;
}

}  // namespace quiesce::mem
