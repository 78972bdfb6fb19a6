#include "memory_coherence/mesi_directory.h"

#include <algorithm>
#include <bit>

#include "diag/log.h"

namespace quiesce::mem {

MesiDirectory::MesiDirectory(const HierarchyConfig& h, std::vector<PrivateHierarchy>& cpus, TimeSync_if* sync)
    : h_(h),
      cpus_(cpus),
      sync_(sync),
      words_(static_cast<uint32_t>((cpus.size() + 63) / 64)),
      dir_free_(std::max(1u, h.directory_banks), 0),
      mem_free_(std::max(1u, h.memory_banks), 0),
      l2_free_(std::max(1u, h.l2_banks), 0) {
  if (h.l2_shared) shared_l2_.emplace(h.l2, h.line_bytes);
}

MesiDirectory::Entry& MesiDirectory::entry(uint64_t line) { return entries_.try_emplace(line).first->second; }

void MesiDirectory::release(uint64_t line) {
  auto it = entries_.find(line);
  if (it == entries_.end()) return;
  free_storage(it->second);  // (a shared L2's victim may still list sharers: their copies were dropped)
  entries_.erase(it);
}

bool MesiDirectory::has(const Entry& e, unsigned cpu) const {
  switch (e.kind) {
    case Kind::Few: return (e.count > 0 && e.few[0] == cpu) || (e.count > 1 && e.few[1] == cpu);
    case Kind::List: return std::binary_search(lists_[e.where].begin(), lists_[e.where].end(), cpu);
    case Kind::Bits: break;
  }
  return bits_[size_t{e.where} * words_ + cpu / 64] >> (cpu % 64) & 1;
}

void MesiDirectory::sharers(const Entry& e, std::vector<uint32_t>& out) const {
  out.clear();
  switch (e.kind) {
    case Kind::Few: out.assign(e.few, e.few + e.count); return;
    case Kind::List: out = lists_[e.where]; return;
    case Kind::Bits: break;
  }
  for (uint32_t w = 0; w < words_; ++w)
    for (uint64_t bits = bits_[size_t{e.where} * words_ + w]; bits; bits &= bits - 1)
      out.push_back(w * 64 + static_cast<uint32_t>(std::countr_zero(bits)));
}

void MesiDirectory::free_storage(const Entry& e) {
  if (e.kind == Kind::List) lists_[e.where].clear(), free_lists_.push_back(e.where);
  if (e.kind == Kind::Bits) std::fill_n(bits_.begin() + size_t{e.where} * words_, words_, 0), free_slots_.push_back(e.where);
}

// Moves e's sharers (e.count of them) into a representation of kind k, freeing the old one.
void MesiDirectory::make_kind(Entry& e, Kind k) {
  if (e.kind == k) return;
  std::vector<uint32_t>& cpus = moving_;
  sharers(e, cpus);
  free_storage(e);
  e.kind = k;
  switch (k) {
    case Kind::Few: std::copy(cpus.begin(), cpus.end(), e.few); return;
    case Kind::List:
      if (free_lists_.empty()) e.where = static_cast<uint32_t>(lists_.size()), lists_.emplace_back();
      else e.where = free_lists_.back(), free_lists_.pop_back();
      lists_[e.where].assign(cpus.begin(), cpus.end());
      return;
    case Kind::Bits:
      if (free_slots_.empty()) e.where = static_cast<uint32_t>(bits_.size() / words_), bits_.resize(bits_.size() + words_, 0);
      else e.where = free_slots_.back(), free_slots_.pop_back();
      for (uint32_t c : cpus) bits_[size_t{e.where} * words_ + c / 64] |= uint64_t{1} << (c % 64);
      return;
  }
}

void MesiDirectory::add(Entry& e, unsigned cpu) {
  if (has(e, cpu)) return;
  if (e.kind == Kind::Few && e.count == 2) make_kind(e, e.count + 1 > 2 * words_ ? Kind::Bits : Kind::List);
  else if (e.kind == Kind::List && e.count + 1 > 2 * words_) make_kind(e, Kind::Bits);
  switch (e.kind) {
    case Kind::Few:
      if (e.count == 1 && e.few[0] > cpu) e.few[1] = e.few[0], e.few[0] = cpu;
      else e.few[e.count] = cpu;
      break;
    case Kind::List: {
      auto& l = lists_[e.where];
      l.insert(std::lower_bound(l.begin(), l.end(), cpu), cpu);
      break;
    }
    case Kind::Bits: bits_[size_t{e.where} * words_ + cpu / 64] |= uint64_t{1} << (cpu % 64); break;
  }
  ++e.count;
}

void MesiDirectory::remove(Entry& e, unsigned cpu) {
  if (e.owner == static_cast<int32_t>(cpu)) e.owner = -1;
  if (!has(e, cpu)) return;
  switch (e.kind) {
    case Kind::Few:
      if (e.few[0] == cpu) e.few[0] = e.few[1];
      break;
    case Kind::List: {
      auto& l = lists_[e.where];
      l.erase(std::lower_bound(l.begin(), l.end(), cpu));
      break;
    }
    case Kind::Bits: bits_[size_t{e.where} * words_ + cpu / 64] &= ~(uint64_t{1} << (cpu % 64)); break;
  }
  --e.count;
  if (e.kind == Kind::List && e.count <= 2) make_kind(e, Kind::Few);
  else if (e.kind == Kind::Bits && e.count <= words_) make_kind(e, e.count <= 2 ? Kind::Few : Kind::List);
}

size_t MesiDirectory::sharer_bytes() const {
  size_t bytes = 0;
  for (const auto& [line, e] : entries_)
    bytes += e.kind == Kind::List ? lists_[e.where].size() * sizeof(uint32_t) : e.kind == Kind::Bits ? words_ * sizeof(uint64_t) : 0;
  return bytes;
}

uint32_t MesiDirectory::max_sharers() const {
  uint32_t most = 0;
  for (const auto& [line, e] : entries_) most = std::max(most, e.count);
  return most;
}

template <typename F> void MesiDirectory::for_each_sharer(const Entry& e, F&& f) const {
  std::vector<uint32_t> cpus;
  cpus.swap(visit_);  // reuses its capacity
  sharers(e, cpus);
  for (uint32_t c : cpus) f(c);
  cpus.swap(visit_);
}

MesiDirectory::View MesiDirectory::view(uint64_t line) const {
  View v;
  auto it = entries_.find(line);
  if (it == entries_.end()) return v;
  v.owner = it->second.owner;
  for_each_sharer(it->second, [&](unsigned c) { v.sharers.push_back(c); });
  return v;
}

uint64_t MesiDirectory::backing_version(uint64_t line) const {
  if (shared_l2_)
    if (const Cache::Line* l = shared_l2_->peek(line)) return l->version;
  auto it = memory_version_.find(line);
  return it == memory_version_.end() ? 0 : it->second;
}

// A memory bank serves one access per `memory_occupancy` cycles.
uint64_t MesiDirectory::memory_access(uint64_t line, uint64_t at, uint64_t& queued) {
  uint64_t& bank = mem_free_[line % mem_free_.size()];
  const uint64_t start = std::max(at, bank);
  bank = start + h_.memory_occupancy;
  queued += start - at;
  return start - at + h_.memory_latency;
}

void MesiDirectory::write_back(uint64_t line, uint64_t version, CoherenceCounters& who, CoherenceCounters& region) {
  ++who.writebacks, ++region.writebacks;
  if (shared_l2_) {
    if (Cache::Line* l = shared_l2_->peek(line)) {  // inclusive: the dirty data lands in the L2
      l->state = LineState::M, l->version = version;
      return;
    }
  }
  if (h_.check_invariants) memory_version_[line] = version;
}

// Shared L2 at the directory: extra cycles beyond l2.latency to have the line
// there (a memory access on a miss). Filling may evict a line, which is first
// recalled from every L1D (inclusion).
uint64_t MesiDirectory::shared_l2_lookup(uint64_t line, uint64_t at, uint64_t& queued, CoherenceCounters& region) {
  uint64_t& bank = l2_free_[line % l2_free_.size()];
  const uint64_t start = std::max(at, bank);
  bank = start + h_.l2_occupancy;
  queued += start - at;
  if (shared_l2_->find(line)) return start - at;
  const uint64_t version = backing_version(line);
  const uint64_t extra = start - at + memory_access(line, start, queued);
  Cache::Line victim;
  Cache::Line* slot = shared_l2_->allocate(line, victim);
  slot->state = LineState::E, slot->version = version;
  if (victim.state != LineState::I) {
    if (auto it = entries_.find(victim.tag); it != entries_.end()) {
      for_each_sharer(it->second, [&](unsigned c) {
        const Cache::Line was = cpus_[c].drop(victim.tag);
        ++cpus_[c].counters.invalidations_received;
        if (was.state == LineState::M) victim.state = LineState::M, victim.version = was.version;
      });
      release(victim.tag);
    }
    if (victim.state == LineState::M) {
      ++region.writebacks;
      if (h_.check_invariants) memory_version_[victim.tag] = victim.version;
    }
  }
  return extra;
}

Grant MesiDirectory::request(unsigned c, uint64_t line, CoherenceRequest req, uint64_t arrival, bool larx,
                             bool wait_for_start, CoherenceCounters& region) {
  PrivateHierarchy& me = cpus_[c];
  CoherenceCounters& mine = me.counters;
  const bool write = req == CoherenceRequest::GetM || req == CoherenceRequest::GetMNoData;
  const uint32_t hop = h_.interconnect_latency;
  const uint64_t base = h_.l2_shared ? h_.l2.latency : uint64_t{h_.l2.latency} + 2 * hop + h_.directory_latency;

  // Plan at arrival: wait for the line, a directory bank and the interconnect.
  // Queueing on the line reserves it before this CPU waits, so requests
  // arriving meanwhile queue behind it.
  Grant g{};
  uint64_t start = tbe_.resolve_race(line, arrival);
  uint64_t& bank = dir_free_[line % dir_free_.size()];
  start = std::max(start, bank);
  bank = start + h_.directory_occupancy;
  const auto found = entries_.find(line);
  const Entry* planned = found == entries_.end() ? nullptr : &found->second;
  const bool remote_owner = planned && planned->owner >= 0 && planned->owner != static_cast<int32_t>(c);
  const uint32_t others = planned ? planned->count - (has(*planned, c) ? 1 : 0) : 0;
  const unsigned messages = 2 + (remote_owner ? 1 : 0) + (write || req == CoherenceRequest::Flush ? 2 * others : 0);
  start = std::max(start, link_free_);
  link_free_ = start + uint64_t{messages} * h_.interconnect_occupancy;
  const bool holding = me.coherent().peek(line) != nullptr;
  const Transient ts = req == CoherenceRequest::GetS ? Transient::IS
                       : (req == CoherenceRequest::Flush || req == CoherenceRequest::Clean) ? Transient::MI
                       : holding ? Transient::SM : Transient::IM;
  const uint64_t estimate = base + (remote_owner ? hop + h_.c2c_latency : h_.memory_latency);
  const uint64_t hold = larx ? h_.larx_hold_cycles : 0;
  const uint32_t ticket = tbe_.enqueue(line, ts, start, start + estimate + hold);

  // Synchronise: with sync-on-coherence to the start (so requests are
  // performed in simulated-time order); without it only when the request
  // queued, so that it cannot take the line before its predecessors are done.
  // The transaction is then performed when its predecessors have released the
  // line; it starts when performed. A store retiring into the store buffer
  // does not wait: it is performed at once.
  if (sync_ && wait_for_start && (h_.sync_on_coherence || start > arrival)) {
    uint64_t now = sync_->sync(c, start), again;
    while (tbe_.must_wait(line, ticket, now, again)) {
      if (tbe_.behind_unperformed(line, ticket)) {
        blocked_.push_back({line, again, tbe_.free_at(line), ticket, c});
        now = sync_->block(c);
      } else {
        now = sync_->sync(c, again);
      }
    }
    start = std::max(start, now);
  }
  g.queued = start - arrival;

  // Perform at `start`, from the state as it is now.
  Entry& e = entry(line);
  uint64_t latency = base;
  const uint64_t c2c_before = mine.c2c_transfers;
  bool invalidated_any = false;
  auto invalidate = [&](unsigned o) {
    const Cache::Line was = cpus_[o].drop(line);
    remove(e, o);
    ++cpus_[o].counters.invalidations_received, ++region.invalidations_received;
    ++mine.invalidations_sent, ++region.invalidations_sent;
    invalidated_any = true;
    return was;
  };
  switch (req) {
    case CoherenceRequest::GetS: {
      ++mine.misses, ++region.misses;
      if (e.owner >= 0 && e.owner != static_cast<int32_t>(c)) {
        const unsigned o = static_cast<unsigned>(e.owner);
        const Cache::Line* ol = cpus_[o].coherent().peek(line);
        g.version = ol->version;
        if (ol->state == LineState::M) write_back(line, g.version, cpus_[o].counters, region);
        cpus_[o].set(line, LineState::S, g.version);
        ++cpus_[o].counters.downgrades_received, ++region.downgrades_received;
        e.owner = -1;
        latency += hop + h_.c2c_latency;
        ++mine.c2c_transfers, ++region.c2c_transfers;
        g.state = LineState::S;
      } else {
        if (shared_l2_) latency += shared_l2_lookup(line, start + base, g.queued, region);
        else latency += memory_access(line, start + base, g.queued);
        g.version = backing_version(line);
        ++mine.memory_reads, ++region.memory_reads;
        g.state = e.count == 0 ? LineState::E : LineState::S;
        if (g.state == LineState::E) e.owner = static_cast<int32_t>(c);
      }
      add(e, c);
      break;
    }
    case CoherenceRequest::GetM:
    case CoherenceRequest::GetMNoData: {
      ++mine.misses, ++region.misses;
      const Cache::Line* own = me.coherent().peek(line);
      bool have_data = own != nullptr;
      if (have_data) g.version = own->version, ++mine.upgrades, ++region.upgrades;
      bool from_owner = false;
      for_each_sharer(e, [&](unsigned o) {
        if (o == c) return;
        const bool owner = e.owner == static_cast<int32_t>(o);
        const Cache::Line was = invalidate(o);
        if (owner) g.version = was.version, from_owner = true;  // dirty data moves with ownership
      });
      if (from_owner && !have_data && req == CoherenceRequest::GetM) {
        latency += hop + h_.c2c_latency;
        ++mine.c2c_transfers, ++region.c2c_transfers;
      } else if (!have_data && !from_owner) {
        g.version = backing_version(line);
        if (req == CoherenceRequest::GetM) {
          if (shared_l2_) latency += shared_l2_lookup(line, start + base, g.queued, region);
          else latency += memory_access(line, start + base, g.queued);
          ++mine.memory_reads, ++region.memory_reads;
        }
      }
      if (invalidated_any && !from_owner) latency += 2 * hop;  // invalidations and their acks
      e.owner = static_cast<int32_t>(c);
      add(e, c);
      g.state = LineState::M;
      break;
    }
    case CoherenceRequest::Flush:
    case CoherenceRequest::Clean: {
      for_each_sharer(e, [&](unsigned o) {
        const Cache::Line* l = cpus_[o].coherent().peek(line);
        if (l->state == LineState::M) {
          write_back(line, l->version, cpus_[o].counters, region);
          if (req == CoherenceRequest::Clean) cpus_[o].set(line, LineState::E, l->version);
        }
        if (req == CoherenceRequest::Flush) {
          if (o == c) cpus_[o].drop(line), remove(e, o);
          else invalidate(o);
        }
      });
      if (invalidated_any) latency += 2 * hop;
      const Cache::Line* own = me.coherent().peek(line);
      g.state = own ? own->state : LineState::I;
      g.version = own ? own->version : backing_version(line);
      break;
    }
  }
  if (e.count == 0) release(line);
  g.contended = invalidated_any || mine.c2c_transfers != c2c_before;
  g.done = start + latency;
  tbe_.performed(line, ticket, g.done + hold);
  if (!blocked_.empty()) wake_blocked(line, c);
  mine.queue_cycles += g.queued, region.queue_cycles += g.queued;
  // Contended transactions at debug (the ones a swap's timing turns on), every one at trace.
  if (diag::enabled(diag::Sub::Coherence, g.contended ? diag::Level::Debug : diag::Level::Trace)) [[unlikely]] {
    static constexpr const char* kReq[] = {"GetS", "GetM", "GetM (no data)", "Flush", "Clean"}, *kState = "ISEM";
    diag::write(diag::Sub::Coherence, g.contended ? diag::Level::Debug : diag::Level::Trace, start, c,
                fmt::format("{} line 0x{:x}: granted {}, {} cycles, {} queued{}", kReq[static_cast<unsigned>(req)], line * h_.line_bytes,
                            kState[static_cast<unsigned>(g.state)], latency, g.queued,
                            g.contended ? ", contended (from or invalidating other caches)" : ""));
  }
  return g;
}

// A request blocked behind an unperformed one stands for one that looks
// again and again: at `again`, then at max(again + 1, free_at), then every
// cycle. What it sees changes only when a request on its line is performed,
// and it could go on only once every request ahead of it has been. So at each
// perform its next look is moved to the first one to follow the perform (a
// look at the performer's cycle follows it if the looker comes later in CPU
// order), and it is woken for that look once nothing ahead of it is left
// unperformed. It then goes on exactly as the looking request would have.
void MesiDirectory::wake_blocked(uint64_t line, unsigned performer) {
  const uint64_t at = sync_->position(performer), free_at = tbe_.free_at(line);
  std::erase_if(blocked_, [&](Blocked& b) {
    if (b.line != line) return false;
    const uint64_t first = at + (b.cpu < performer ? 1 : 0);
    if (first > b.again) b.again = std::max({first, b.again + 1, b.free_at});
    b.free_at = free_at;
    if (tbe_.behind_unperformed(line, b.ticket)) return false;
    sync_->wake(b.cpu, b.again);
    return true;
  });
}

uint64_t MesiDirectory::fetch_below(uint64_t line, uint64_t at, CoherenceCounters& region) {
  uint64_t queued = 0;
  const uint64_t extra = shared_l2_lookup(line, at, queued, region);
  region.queue_cycles += queued;
  return h_.l2.latency + extra;
}

void MesiDirectory::evicted(unsigned cpu, const Cache::Line& victim, CoherenceCounters& region) {
  auto it = entries_.find(victim.tag);
  if (it == entries_.end()) return;
  if (victim.state == LineState::M) write_back(victim.tag, victim.version, cpus_[cpu].counters, region);
  remove(it->second, cpu);
  if (it->second.count == 0) release(victim.tag);
}

}  // namespace quiesce::mem
