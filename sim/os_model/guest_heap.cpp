#include "os_model/guest_heap.h"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "os_model/host_access.h"

namespace quiesce::os {

GuestHeap::GuestHeap(mem::GuestMemory& memory, mem::RegionMap& regions, uint64_t base, uint64_t limit,
                     uint32_t line_bytes)
    : memory_(memory), regions_(regions), base_(base), next_(base), limit_(limit), line_bytes_(line_bytes) {
  if (base > limit || !memory.contains(base, limit - base))
    throw GuestHeapExhausted(fmt::format("OS heap 0x{:x}..0x{:x} is not inside guest memory", base, limit));
}

uint64_t GuestHeap::allocate(const std::string& name, uint64_t bytes, uint64_t align) {
  if (align == 0) align = line_bytes_;
  if (!std::has_single_bit(align)) throw std::invalid_argument(fmt::format("alignment {} is not a power of two", align));
  const uint64_t at = (next_ + align - 1) & ~(align - 1);
  if (at < next_ || bytes > limit_ - std::min(at, limit_) || at > limit_)
    throw GuestHeapExhausted(fmt::format(
        "guest memory for OS structures is exhausted: {} needs {} bytes, {} of {} used (raise machine.memory.size_mib)",
        name, bytes, used(), limit_ - base_));
  next_ = at + bytes;
  memory_.fill(at, 0, bytes);
  const uint32_t region = regions_.add(name, at, bytes);
  if (bytes) blocks_[at] = Block{bytes, region, false, false};
  return at;
}

void GuestHeap::note(ppc::Hart* h) {
  if (h) clock_ = std::max(clock_, h->cycle());  // (work without a hart happens at the latest cycle seen)
  peak_ = std::max(peak_, live_bytes());
  history_.emplace_back(h ? h->cycle() : clock_, live_bytes());
}

// The allocator's accesses, paid after its host state and guest words changed: a timed access may wait for
// SystemC time while other CPUs run (and allocate or free), so nothing it decided may change under it.
void GuestHeap::pay(ppc::Hart* h) {
  if (h)
    for (unsigned i = 0; i < npaid_; ++i) h->timed_access(paid_[i].kind, paid_[i].addr, 8);
  npaid_ = 0;
}

GuestHeap::Deferred GuestHeap::take_deferred() {
  static_assert(std::tuple_size_v<decltype(Deferred::at)> >= std::tuple_size_v<decltype(paid_)>);
  Deferred out;
  for (unsigned i = 0; i < npaid_; ++i) out.at[out.n++] = {paid_[i].kind, paid_[i].addr};
  npaid_ = 0;
  return out;
}

void GuestHeap::pay_list(ppc::Hart* h, const Deferred& list) {
  if (h)
    for (unsigned i = 0; i < list.n; ++i) h->timed_access(list.at[i].first, list.at[i].second, 8);
}

void GuestHeap::later(mem::AccessKind kind, uint64_t addr) {
  if (npaid_ == paid_.size()) return;  // (a long first-fit search: the rest of its reads go unpaid)
  paid_[npaid_++] = {kind, addr};
}

uint64_t GuestHeap::pool(unsigned cpu) {
  uint64_t& at = cpu == kGlobal ? global_ : pools_.at(cpu);
  if (!at) {
    if (local_lists_.empty()) local_lists_.resize(pools_.size() * kClasses), global_lists_.resize(kClasses);
    // Set-up structures of the allocator itself: carved, never freed (pool_bytes, not live bytes).
    const uint64_t raw = cpu == kGlobal ? 16 + kPoolBytes : kPoolBytes;
    const uint64_t bytes = (raw + line_bytes_ - 1) / line_bytes_ * line_bytes_;  // whole lines: no padding left over
    const uint64_t before = used();
    at = allocate(cpu == kGlobal ? std::string("pool.global") : fmt::format("pool.cpu{}", cpu), bytes);
    pool_bytes_ += used() - before;  // with its alignment
  }
  return at;
}

// A list in guest memory: the head word (its top block) and the count after it; a free block's words 2 and
// 3 link the block below and give its size (words 0 and 1, a rep's vtable and shared-state pointer, stay as
// they were: a stale call through a freed rep runs on, and the safety oracle names it). `list` mirrors
// it host-side, top last. Only host work here: the accesses are queued for pay().
uint64_t GuestHeap::pop(uint64_t head, std::vector<uint64_t>& list, uint64_t rounded, bool exact) {
  later(mem::AccessKind::Load, head);
  if (list.empty()) return 0;
  size_t i = list.size() - 1;
  if (!exact) {  // first fit from the top: read each node's size
    for (;; --i) {
      later(mem::AccessKind::Load, list[i] + kSizeWord);
      if (blocks_.at(list[i]).bytes >= rounded) break;
      if (i == 0) return 0;
    }
  }
  const uint64_t found = list[i];
  const uint64_t below = i ? list[i - 1] : 0;
  const uint64_t above = i + 1 == list.size() ? head : list[i + 1] + kLinkWord;  // the link that skips it
  later(mem::AccessKind::Load, found + kLinkWord);
  later(mem::AccessKind::Store, above);
  memory_.store<uint64_t>(above, below);
  list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
  later(mem::AccessKind::Load, head + 8);
  later(mem::AccessKind::Store, head + 8);
  memory_.store<uint64_t>(head + 8, list.size());
  return found;
}

void GuestHeap::push(uint64_t head, std::vector<uint64_t>& list, uint64_t addr) {
  later(mem::AccessKind::Load, head);
  memory_.store<uint64_t>(addr + kLinkWord, list.empty() ? 0 : list.back());
  memory_.store<uint64_t>(addr + kSizeWord, blocks_.at(addr).bytes);
  memory_.store<uint64_t>(head, addr);
  later(mem::AccessKind::Store, addr + kLinkWord);
  later(mem::AccessKind::Store, addr + kSizeWord);
  later(mem::AccessKind::Store, head);
  list.push_back(addr);
  later(mem::AccessKind::Load, head + 8);
  later(mem::AccessKind::Store, head + 8);
  memory_.store<uint64_t>(head + 8, list.size());
}

// The global pool's lock: taken (larx/stcx.) and released (a store) around its list work.
void GuestHeap::lock_global(bool take) {
  if (take) later(mem::AccessKind::Larx, global_), later(mem::AccessKind::Stcx, global_);
  else later(mem::AccessKind::Store, global_);
}

uint64_t GuestHeap::allocate_block(ppc::Hart* h, unsigned cpu, const std::string& name, uint64_t bytes, bool defer,
                                   bool object) {
  const uint64_t lines = std::max<uint64_t>(1, (bytes + line_bytes_ - 1) / line_bytes_);
  const uint64_t rounded = lines * line_bytes_;
  const unsigned cls = class_of(lines);
  const bool exact = cls < kSmallClasses;
  uint64_t found = 0;
  npaid_ = 0;
  if (cpu < pools_.size() && pools_[cpu]) found = pop(pools_[cpu] + 16 * cls, local_lists_[cpu * kClasses + cls], rounded, exact);
  if (!found && global_) {  // the global pool, under its lock
    lock_global(true);
    found = pop(global_ + 16 + 16 * cls, global_lists_[cls], rounded, exact);
    lock_global(false);
  }
  if (!found) {  // carved: its region the size asked for, its capacity whole lines
    const uint64_t at = allocate(name, bytes);
    next_ = std::max(next_, at + rounded);
    blocks_.at(at).bytes = rounded;
    blocks_.at(at).object = object;
    if (object) object_bytes_ += rounded;
    note(h);
    if (!defer) pay(h);
    return at;
  }
  Block& b = blocks_.at(found);
  b.free = false;
  b.object = object;
  if (object) object_bytes_ += b.bytes;
  b.region = regions_.add(name, found, b.bytes);
  free_bytes_ -= b.bytes;
  reused_total_ += b.bytes;
  ++reuses_;
  memory_.fill(found, 0, b.bytes);
  note(h);
  for (const auto& f : reuse_observers_) f(found, b.bytes);
  if (!defer) pay(h);
  return found;
}

void GuestHeap::free_block(ppc::Hart* h, unsigned cpu, uint64_t addr) {
  const auto it = blocks_.find(addr);
  if (it == blocks_.end() || it->second.free)
    throw std::logic_error(fmt::format("free of 0x{:x}: not an allocated block of the OS heap", addr));
  Block& b = it->second;
  const uint64_t lines = b.bytes / line_bytes_;
  b.free = true;
  if (b.object) object_bytes_ -= b.bytes;
  regions_.remove(b.region);
  free_bytes_ += b.bytes;
  freed_total_ += b.bytes;
  ++frees_;
  npaid_ = 0;
  if (lines) {  // a block smaller than a line is free but on no list (no allocation asks for less than a line)
    const unsigned cls = class_of(lines);
    const uint64_t local = pool(cpu);
    auto& list = local_lists_[cpu * kClasses + cls];
    if (list.size() < local_blocks_) {
      push(local + 16 * cls, list, addr);
    } else {
      const uint64_t global = pool(kGlobal);
      lock_global(true);
      push(global + 16 + 16 * cls, global_lists_[cls], addr);
      lock_global(false);
    }
  }
  note(h);
  pay(h);
}

bool GuestHeap::is_free(uint64_t addr) const {
  auto it = blocks_.upper_bound(addr);
  if (it == blocks_.begin()) return false;
  --it;
  return it->second.free && addr < it->first + it->second.bytes;
}

uint64_t GuestHeap::block_bytes(uint64_t addr) const {
  const auto it = blocks_.find(addr);
  return it == blocks_.end() ? 0 : it->second.bytes;
}

}  // namespace quiesce::os
