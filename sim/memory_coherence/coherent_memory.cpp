#include "memory_coherence/coherent_memory.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include <fmt/format.h>

namespace quiesce::mem {

namespace {
std::vector<PrivateHierarchy> make_cpus(unsigned n, const HierarchyConfig& h) {
  if (!std::has_single_bit(h.line_bytes) || h.line_bytes < 16)
    throw std::invalid_argument(fmt::format("line size must be a power of two of at least 16 bytes, got {}", h.line_bytes));
  std::vector<PrivateHierarchy> v;
  v.reserve(n);
  for (unsigned i = 0; i < n; ++i) v.emplace_back(h);
  return v;
}
bool writable(LineState s) { return s == LineState::M || s == LineState::E; }
}  // namespace

CoherentMemory::CoherentMemory(unsigned cpus, const HierarchyConfig& h, TimeSync_if* sync)
    : h_(h),
      sync_(sync),
      sync_hits_(sync && h.sync_on_contended),
      line_shift_(static_cast<unsigned>(std::countr_zero(h.line_bytes))),
      cpus_(make_cpus(cpus, h)),
      dir_(h, cpus_, sync),
      region_cache_(size_t{cpus} << RegionCache::kBits) {
  hit_paths_.reserve(cpus);
  for (unsigned c = 0; c < cpus; ++c)
    hit_paths_.emplace_back(cpus_[c], &region_cache_[size_t{c} << RegionCache::kBits], regions_, line_shift_,
                            h.store_latency, sync_hits_, !h.check_invariants);
}

CoherenceCounters& CoherentMemory::region_lookup(RegionCache& rc, unsigned cpu, uint64_t addr) {
  const uint32_t id = regions_.lookup(addr, rc.lo, rc.hi);
  rc.generation = regions_.generation();
  auto [it, fresh] = pair_counters_.try_emplace(pair_key(id, cpu), nullptr);
  if (fresh) {
    it->second = &counters_.emplace_back();
    if (id >= region_cpus_.size()) region_cpus_.resize(regions_.size());
    region_cpus_[id].emplace_back(cpu, it->second);
  }
  rc.counters = it->second;
  return *rc.counters;
}

std::vector<CoherentMemory::CpuCounters> CoherentMemory::region_cpus(uint32_t id) const {
  std::vector<CpuCounters> v;
  if (id < region_cpus_.size())
    for (const auto& [cpu, c] : region_cpus_[id])
      if (c->any()) v.push_back({cpu, *c});
  std::sort(v.begin(), v.end(), [](const CpuCounters& a, const CpuCounters& b) { return a.cpu < b.cpu; });
  return v;
}

MemResponse CoherentMemory::access(const MemRequest& r) {
  const uint64_t line = r.addr >> line_shift_;
  PrivateHierarchy& p = cpus_[r.cpu];
  switch (r.kind) {
    case AccessKind::IFetch: return {fetch(r, line, p)};
    case AccessKind::Sync: {  // drains the store buffer
      const uint64_t last = *std::max_element(p.store_done.begin(), p.store_done.end());
      return {static_cast<uint32_t>(last > r.cycle ? last - r.cycle : 0)};
    }
    case AccessKind::LwSync: case AccessKind::Eieio: case AccessKind::ISync: return {0};
    case AccessKind::Icbi:  // broadcast: every L1I drops the line
      for (auto& c : cpus_) c.l1i.invalidate(line);
      return {h_.interconnect_latency};
    default: break;
  }
  CoherenceCounters& reg = region_of(r.cpu, r.addr);
  ++p.counters.accesses, ++reg.accesses;
  switch (r.kind) {
    case AccessKind::Load: case AccessKind::DcbT: return {read(r, line, p, reg, false)};
    case AccessKind::Larx: {
      const uint32_t lat = h_.larx_exclusive ? write_permission(r, line, p, reg, true, false, true)
                                             : read(r, line, p, reg, true);
      p.reservation = line;
      return {lat};
    }
    case AccessKind::Store: {
      const uint32_t lat = write_permission(r, line, p, reg, false, false, false);
      written(r.cpu, line);
      return {p.buffer_store(r.cycle, r.cycle + lat, h_.store_latency)};
    }
    case AccessKind::Stcx: {
      // The reservation must survive until this CPU holds the line for writing.
      uint32_t lat = h_.store_latency;
      if (p.reservation == line) lat = write_permission(r, line, p, reg, false, false, true);
      const bool ok = p.reservation == line;
      p.reservation = Cache::kNoLine;
      if (ok) written(r.cpu, line);
      else ++p.counters.stcx_failures, ++reg.stcx_failures;
      return {lat, ok};
    }
    case AccessKind::DcbZ: {
      const uint32_t lat = write_permission(r, line, p, reg, false, true, false);
      written(r.cpu, line);
      return {p.buffer_store(r.cycle, r.cycle + lat, h_.store_latency)};
    }
    case AccessKind::DcbF: return {cache_op(r, line, CoherenceRequest::Flush, reg)};
    case AccessKind::DcbSt: return {cache_op(r, line, CoherenceRequest::Clean, reg)};
    default: return {0};
  }
}

uint32_t CoherentMemory::read(const MemRequest& r, uint64_t line, PrivateHierarchy& p, CoherenceCounters& reg, bool larx) {
  const Cache::Line* l = p.l1d.find(line);
  if (l && l->contended && sync_hits_) [[unlikely]] l = resync(r, p.l1d, line);
  if (l) [[likely]] {
    if (h_.check_invariants) check_read(r.cpu, line, l->version);
    return p.l1d.latency();
  }
  ++p.counters.l1d_misses, ++reg.l1d_misses;
  if (p.l2) {
    const Cache::Line* l2 = p.l2->find(line);
    if (l2 && l2->contended && sync_hits_) l2 = resync(r, *p.l2, line);
    if (l2) {
      fill_l1d(p, line, *l2);
      if (h_.check_invariants) check_read(r.cpu, line, l2->version);
      return p.l2->latency();
    }
  }
  const Grant g = dir_.request(r.cpu, line, CoherenceRequest::GetS, r.cycle, larx, true, reg);
  install(r.cpu, line, g, g.state, true);
  if (h_.check_invariants) check_line(line), check_read(r.cpu, line, g.version);
  const uint64_t lat = g.done - r.cycle;
  p.counters.miss_cycles += lat, reg.miss_cycles += lat;
  return static_cast<uint32_t>(lat);
}

uint32_t CoherentMemory::write_permission(const MemRequest& r, uint64_t line, PrivateHierarchy& p, CoherenceCounters& reg,
                                          bool larx, bool no_data, bool wait_for_start) {
  Cache::Line* l = p.l1d.find(line);
  if (l && l->contended && sync_hits_) [[unlikely]] l = resync(r, p.l1d, line);
  if (l && writable(l->state)) [[likely]] {
    if (l->state == LineState::E) p.set(line, LineState::M, l->version);  // silent upgrade
    return p.l1d.latency();
  }
  if (!l) ++p.counters.l1d_misses, ++reg.l1d_misses;
  if (p.l2 && !l) {
    Cache::Line* l2 = p.l2->find(line);
    if (l2 && l2->contended && sync_hits_) l2 = resync(r, *p.l2, line);
    if (l2 && writable(l2->state)) {
      l2->state = LineState::M;
      fill_l1d(p, line, *l2);
      return p.l2->latency();
    }
  }
  const Grant g = dir_.request(r.cpu, line, no_data ? CoherenceRequest::GetMNoData : CoherenceRequest::GetM, r.cycle,
                               larx, wait_for_start, reg);
  install(r.cpu, line, g, LineState::M, true);
  if (h_.check_invariants) check_line(line);
  const uint64_t lat = g.done - r.cycle;
  p.counters.miss_cycles += lat, reg.miss_cycles += lat;
  return static_cast<uint32_t>(lat);
}

uint32_t CoherentMemory::fetch(const MemRequest& r, uint64_t line, PrivateHierarchy& p) {
  if (p.l1i.find(line)) [[likely]] return p.l1i.latency();
  CoherenceCounters& reg = region_of(r.cpu, r.addr);
  ++p.counters.ifetch_misses, ++reg.ifetch_misses;
  uint64_t lat;
  if (!p.l2) {
    lat = dir_.fetch_below(line, r.cycle, reg);
  } else if (p.l2->find(line)) {
    lat = p.l2->latency();
  } else {
    const Grant g = dir_.request(r.cpu, line, CoherenceRequest::GetS, r.cycle, false, true, reg);
    install(r.cpu, line, g, g.state, false);
    lat = g.done - r.cycle;
  }
  Cache::Line victim;
  p.l1i.allocate(line, victim)->state = LineState::S;
  return static_cast<uint32_t>(lat);
}

uint32_t CoherentMemory::cache_op(const MemRequest& r, uint64_t line, CoherenceRequest req, CoherenceCounters& reg) {
  const Grant g = dir_.request(r.cpu, line, req, r.cycle, false, true, reg);
  if (h_.check_invariants) check_line(line);
  return static_cast<uint32_t>(g.done - r.cycle);
}

// Brings this CPU to the access's time before a hit on a contended line, then
// looks again: an earlier request by another CPU may have taken the line.
Cache::Line* CoherentMemory::resync(const MemRequest& r, Cache& c, uint64_t line) {
  sync_->sync(r.cpu, r.cycle);
  return c.find(line);
}

void CoherentMemory::install(unsigned cpu, uint64_t line, const Grant& g, LineState s, bool into_l1d) {
  const uint64_t version = g.version;
  PrivateHierarchy& p = cpus_[cpu];
  Cache::Line* l = p.coherent().peek(line);
  if (!l) {
    Cache::Line victim;
    l = p.coherent().allocate(line, victim);
    if (victim.state != LineState::I) {
      if (p.l2) p.l1d.invalidate(victim.tag);  // inclusion
      if (victim.tag == p.reservation) p.reservation = Cache::kNoLine;
      dir_.evicted(cpu, victim, region_of(cpu, victim.tag << line_shift_));
    }
  }
  l->state = s, l->version = version, l->contended = g.contended;
  if (p.l2) {
    if (Cache::Line* l1 = p.l1d.peek(line)) l1->state = s, l1->version = version, l1->contended = g.contended;
    else if (into_l1d) fill_l1d(p, line, *l);
  }
}

// The L1D under a private L2 mirrors the L2's state; its victims need no
// directory action because the L2 still holds them.
void CoherentMemory::fill_l1d(PrivateHierarchy& p, uint64_t line, const Cache::Line& from) {
  Cache::Line victim;
  Cache::Line* l = p.l1d.allocate(line, victim);
  l->state = from.state, l->version = from.version, l->contended = from.contended;
}

void CoherentMemory::written(unsigned cpu, uint64_t line) {
  if (!h_.check_invariants) return;
  const uint64_t v = ++latest_[line];
  cpus_[cpu].set(line, LineState::M, v);
  check_line(line);
}

// ---- invariant checker -------------------------------------------------

void CoherentMemory::violation(std::string what) {
  if (violations_++ == 0) first_violation_ = std::move(what);
}

// Data-value invariant: a read returns the latest version written.
void CoherentMemory::check_read(unsigned cpu, uint64_t line, uint64_t version) {
  const auto it = latest_.find(line);
  const uint64_t latest = it == latest_.end() ? 0 : it->second;
  if (version != latest)
    violation(fmt::format("cpu {} read line 0x{:x} at version {}, latest is {}", cpu, line << line_shift_, version, latest));
}

// Single writer or multiple readers; the directory agrees with the caches;
// the L1D is included in a private L2 with the same state; every valid copy
// holds the latest version.
void CoherentMemory::check_line(uint64_t line) {
  const auto it = latest_.find(line);
  const uint64_t latest = it == latest_.end() ? 0 : it->second;
  const MesiDirectory::View v = dir_.view(line);
  unsigned holders = 0, writers = 0;
  for (unsigned c = 0; c < cpus_.size(); ++c) {
    const PrivateHierarchy& p = cpus_[c];
    const Cache::Line* l = p.coherent().peek(line);
    const bool listed = std::binary_search(v.sharers.begin(), v.sharers.end(), c);
    if (p.l2)
      if (const Cache::Line* l1 = p.l1d.peek(line); l1 && (!l || l1->state != l->state || l1->version != l->version))
        violation(fmt::format("cpu {} L1D holds line 0x{:x} in {} but its L2 {}", c, line << line_shift_,
                              to_string(l1->state), l ? to_string(l->state) : "does not hold it"));
    if (!l) {
      if (listed) violation(fmt::format("directory lists cpu {} for line 0x{:x} it does not hold", c, line << line_shift_));
      continue;
    }
    ++holders;
    if (writable(l->state)) ++writers;
    if (!listed) violation(fmt::format("cpu {} holds line 0x{:x} unknown to the directory", c, line << line_shift_));
    if (writable(l->state) && v.owner != static_cast<int>(c))
      violation(fmt::format("cpu {} holds line 0x{:x} in {} but the directory's owner is {}", c, line << line_shift_,
                            to_string(l->state), v.owner));
    if (l->version != latest)
      violation(fmt::format("cpu {} holds line 0x{:x} at version {}, latest is {}", c, line << line_shift_, l->version, latest));
  }
  if (writers > 1 || (writers == 1 && holders > 1))
    violation(fmt::format("line 0x{:x}: {} writers and {} holders", line << line_shift_, writers, holders));
  if (holders == 0 && dir_.backing_version(line) != latest)
    violation(fmt::format("line 0x{:x} cached nowhere but memory has version {}, latest is {}", line << line_shift_,
                          dir_.backing_version(line), latest));
}

void CoherentMemory::check_all() {
  if (!h_.check_invariants) return;
  std::vector<uint64_t> lines;
  dir_.for_each_line([&](uint64_t l) { lines.push_back(l); });
  std::sort(lines.begin(), lines.end());
  for (uint64_t l : lines) check_line(l);
}

}  // namespace quiesce::mem
