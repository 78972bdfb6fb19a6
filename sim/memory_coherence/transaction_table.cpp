#include "memory_coherence/transaction_table.h"

#include <algorithm>

namespace quiesce::mem {

const char* to_string(Transient t) {
  static constexpr const char* kNames[] = {"IS", "IM", "SM", "MI"};
  return kNames[static_cast<int>(t)];
}

uint64_t TransactionTable::resolve_race(uint64_t line, uint64_t arrival) {
  auto it = table_.find(line);
  if (it == table_.end()) return arrival;
  const Entry& e = it->second;
  const uint64_t busy = std::max(e.free_at, e.tail_free_at);
  if (busy <= arrival && e.issued == e.done) return arrival;
  if (busy > arrival) ++races_[static_cast<int>(e.tail_state)];
  return std::max(arrival, busy);
}

uint32_t TransactionTable::enqueue(uint64_t line, Transient state, uint64_t start, uint64_t release) {
  Entry& e = table_[line];
  e.tail_free_at = std::max(e.tail_free_at, release);
  e.tail_state = state;
  if (table_.size() > 4096 && start >= next_purge_) retire_old(start);
  return e.issued++;
}

bool TransactionTable::must_wait(uint64_t line, uint32_t ticket, uint64_t now, uint64_t& again) const {
  auto it = table_.find(line);
  if (it == table_.end()) return false;
  const Entry& e = it->second;
  if (ticket > e.done || e.free_at > now) {
    again = std::max(now + 1, e.free_at);
    return true;
  }
  return false;
}

bool TransactionTable::behind_unperformed(uint64_t line, uint32_t ticket) const {
  auto it = table_.find(line);
  return it != table_.end() && ticket > it->second.done;
}

uint64_t TransactionTable::free_at(uint64_t line) const {
  auto it = table_.find(line);
  return it == table_.end() ? 0 : it->second.free_at;
}

void TransactionTable::performed(uint64_t line, uint32_t ticket, uint64_t release) {
  Entry& e = table_[line];
  e.done = std::max(e.done, ticket + 1);
  e.free_at = std::max(e.free_at, release);
  e.tail_free_at = std::max(e.tail_free_at, e.free_at);
}

// Idle lines released long ago can delay nobody: requests arrive at most a
// quantum out of order, far less than the horizon. Erasing them does not
// change any result, so the unordered iteration is harmless.
void TransactionTable::retire_old(uint64_t now) {
  constexpr uint64_t kHorizon = uint64_t{1} << 22;
  if (now < kHorizon) return;
  std::erase_if(table_, [&](const auto& kv) {
    return kv.second.issued == kv.second.done && kv.second.tail_free_at + kHorizon < now;
  });
  next_purge_ = now + kHorizon / 4;
}

}  // namespace quiesce::mem
