// The MESI directory controller at the point of coherence: it keeps, per line,
// which CPUs' coherent caches hold it and whether one of them owns it (E/M);
// it serialises requests per line through the transaction table and charges
// the occupancy of directory banks, the interconnect and memory banks, so
// contention queues. A transaction is planned when it arrives (which reserves
// its line and the resources), then performed at its start cycle, after the
// requesting CPU has synchronised to it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "memory_coherence/cache.h"
#include "memory_coherence/coherence_stats.h"
#include "memory_coherence/hierarchy_config.h"
#include "memory_coherence/private_hierarchy.h"
#include "memory_coherence/time_sync_if.h"
#include "memory_coherence/transaction_table.h"

namespace quiesce::mem {

enum class CoherenceRequest : uint8_t {
  GetS,    // read: the line shared (or exclusive when nobody else holds it)
  GetM,    // write: the line with ownership; others invalidated
  GetMNoData,  // dcbz: ownership without fetching the data
  Flush,   // dcbf: write back if dirty anywhere, invalidate everywhere
  Clean,   // dcbst: write back if dirty anywhere, keep the copies
};

struct Grant {
  uint64_t done;       // cycle at which the requester has its data / permission
  uint64_t queued;     // cycles spent waiting for the line and shared resources
  LineState state;     // state granted to the requester (I for Flush)
  uint64_t version;    // data version delivered
  bool contended;      // the line came from another cache or was taken from other caches
};

class MesiDirectory {
 public:
  MesiDirectory(const HierarchyConfig& h, std::vector<PrivateHierarchy>& cpus, TimeSync_if* sync);

  // Performs `req` for `cpu` arriving at `arrival`; counts into the CPU's
  // counters and `region` (the counters of the line's region). With
  // sync-on-coherence the CPU first synchronises to its start cycle, or, when
  // `wait_for_start` is false (a store retiring into the store buffer), only
  // to its arrival. A larx fill holds the line for larx_hold_cycles.
  Grant request(unsigned cpu, uint64_t line, CoherenceRequest req, uint64_t arrival, bool larx, bool wait_for_start,
                CoherenceCounters& region);
  // Shared L2 only: an instruction fetch served by the L2 (not tracked by the
  // directory: instruction caches are not coherent). Returns its latency.
  uint64_t fetch_below(uint64_t line, uint64_t at, CoherenceCounters& region);
  // The coherent cache of `cpu` evicted `line` (PutS / PutM with writeback).
  void evicted(unsigned cpu, const Cache::Line& victim, CoherenceCounters& region);

  // For the invariant checker and tests.
  struct View {
    int owner = -1;              // CPU holding the line E or M, or -1
    std::vector<unsigned> sharers;  // every CPU holding a copy, ascending
  };
  View view(uint64_t line) const;
  uint64_t backing_version(uint64_t line) const;  // version held below the directory
  const TransactionTable& transactions() const { return tbe_; }
  size_t tracked_lines() const { return entries_.size(); }
  // Bytes the sharer sets of the tracked lines take beyond their entries (lists and bit sets:
  // only lines with more than two sharers have any), and the most sharers any line has.
  size_t sharer_bytes() const;
  uint32_t max_sharers() const;
  template <typename F> void for_each_line(F&& f) const {
    for (const auto& kv : entries_) f(kv.first);
  }

 private:
  // A line's sharers, kept in memory that grows with their number, not with the CPU count
  // (bit sets for every line would make the directory grow as the square of the CPU count
  // when every cache fills with lines of its own): up to two inline, then a sorted list,
  // and a bit set only for a line held by more than 2 x words_ CPUs (as many as the bit set
  // takes 32-bit words), kept until it falls to words_.
  enum class Kind : uint8_t { Few, List, Bits };
  struct Entry {
    int32_t owner = -1;
    uint32_t count = 0;  // number of sharers
    Kind kind = Kind::Few;
    uint32_t where = 0;  // List: index in lists_; Bits: slot of words_ words in bits_
    uint32_t few[2];     // Few: the sharers, ascending
  };
  Entry& entry(uint64_t line);
  void release(uint64_t line);
  bool has(const Entry& e, unsigned cpu) const;
  void add(Entry& e, unsigned cpu);
  void remove(Entry& e, unsigned cpu);
  void make_kind(Entry& e, Kind k);  // moves the sharers into a representation of kind k
  void free_storage(const Entry& e);  // gives back e's list or bit set
  void sharers(const Entry& e, std::vector<uint32_t>& out) const;  // ascending
  // Visits sharers in ascending CPU order (deterministic), on a copy, so that f may remove the
  // sharer it is given (f must not visit sharers itself).
  template <typename F> void for_each_sharer(const Entry& e, F&& f) const;
  uint64_t memory_access(uint64_t line, uint64_t at, uint64_t& queued);
  void write_back(uint64_t line, uint64_t version, CoherenceCounters& who, CoherenceCounters& region);
  uint64_t shared_l2_lookup(uint64_t line, uint64_t at, uint64_t& queued, CoherenceCounters& region);
  void wake_blocked(uint64_t line, unsigned performer);

  HierarchyConfig h_;
  std::vector<PrivateHierarchy>& cpus_;
  TimeSync_if* sync_;
  TransactionTable tbe_;
  std::unordered_map<uint64_t, Entry> entries_;  // lines held by some coherent cache
  std::vector<std::vector<uint32_t>> lists_;     // sorted sharer lists (Kind::List)
  std::vector<uint32_t> free_lists_;
  std::vector<uint64_t> bits_;                   // sharer bit sets, words_ per slot (Kind::Bits)
  std::vector<uint32_t> free_slots_;
  uint32_t words_;
  mutable std::vector<uint32_t> visit_;          // for_each_sharer's copy
  std::vector<uint32_t> moving_;                 // make_kind's
  std::optional<Cache> shared_l2_;               // with l2_shared: the L2, inclusive of the L1Ds
  std::unordered_map<uint64_t, uint64_t> memory_version_;  // checker only: version in memory
  std::vector<uint64_t> dir_free_, mem_free_, l2_free_;   // per-bank busy-until cycles
  uint64_t link_free_ = 0;                                 // the interconnect's busy-until cycle
  struct Blocked {
    uint64_t line, again, free_at;  // its line; its next look; the line's free_at at that look
    uint32_t ticket;
    unsigned cpu;
  };
  std::vector<Blocked> blocked_;  // requests waiting for a perform on their line, in blocking order
};

}  // namespace quiesce::mem
