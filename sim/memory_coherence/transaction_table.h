// In-flight coherence transactions, per line (gem5 Ruby's TBE table). Requests
// for a line are served one at a time in arrival order: each takes a ticket,
// waits for its predecessors, and occupies the line until its data arrives
// (plus a larx hold). A transaction's transient state is named after its
// transition: IS (read miss), IM (write miss), SM (upgrade), MI (dcbf/dcbst
// writeback). Protocol races, i.e. requests meeting a line in a transient
// state, are resolved here and nowhere else: resolve_race() at arrival,
// must_wait() before performing.
#pragma once
#include <array>
#include <cstdint>
#include <unordered_map>

namespace quiesce::mem {

enum class Transient : uint8_t { IS, IM, SM, MI };
inline constexpr int kTransientCount = 4;
const char* to_string(Transient t);

class TransactionTable {
 public:
  // At arrival: the earliest cycle the request may start, given every
  // transaction queued before it on the line. Counts a race when it must wait.
  uint64_t resolve_race(uint64_t line, uint64_t arrival);
  // Queues the request (planned to start at `start` and release the line at
  // `release`); returns its ticket.
  uint32_t enqueue(uint64_t line, Transient state, uint64_t start, uint64_t release);
  // Before performing at `now`: true (and the cycle to check again) while a
  // predecessor has not been performed or still occupies the line.
  bool must_wait(uint64_t line, uint32_t ticket, uint64_t now, uint64_t& again) const;
  // True while a request ahead of `ticket` has not been performed (nothing
  // but a perform on the line can end that).
  bool behind_unperformed(uint64_t line, uint32_t ticket) const;
  // The release of the last performed transaction on the line (0 if none).
  uint64_t free_at(uint64_t line) const;
  // The request was performed; the line is released at `release`.
  void performed(uint64_t line, uint32_t ticket, uint64_t release);

  // Races met so far, by the transient state of the transaction in the way.
  const std::array<uint64_t, kTransientCount>& races() const { return races_; }

 private:
  struct Entry {
    uint64_t free_at = 0;       // release of the last performed transaction
    uint64_t tail_free_at = 0;  // planned release of the last queued one
    uint32_t issued = 0, done = 0;  // tickets handed out / performed
    Transient tail_state = Transient::IS;
  };
  void retire_old(uint64_t now);
  std::unordered_map<uint64_t, Entry> table_;  // looked up only; iteration never affects results
  std::array<uint64_t, kTransientCount> races_{};
  uint64_t next_purge_ = 0;
};

}  // namespace quiesce::mem
