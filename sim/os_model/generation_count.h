// K42's generation counts and its system-wide quiescence detection.
//
// GenerationCount: each CPU counts its live threads by the generation current
// when they started (two counters, current and previous, in one line of guest
// memory, updated atomically through the caches). A generation swap makes
// the current generation the previous one and starts a new one; it is only
// possible once the previous generation's count has drained to zero.
//
// QuiescenceToken: a token visits the CPUs in order. On arrival a CPU swaps
// (when its previous generation has drained) and swaps again once the threads
// that were current at the first swap have all ended; then it passes the
// token on. When the token has visited every CPU, every thread that existed
// when the round began has ended: the round completes and the callbacks
// requested before it began run. (The hot-swap Mediator does not use them: it
// counts two generation swaps per CPU itself.)
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "cpu_ppc64/hart.h"
#include "os_model/guest_heap.h"
#include "os_model/latency_histogram.h"
#include "os_model/os_spec.h"

namespace quiesce::os {

class GenerationCount {
 public:
  GenerationCount(GuestHeap& heap, unsigned cpu);
  uint64_t current() const { return seq_; }
  uint64_t active(uint64_t generation) const { return count_[generation & 1]; }
  bool previous_drained() const { return count_[(seq_ + 1) & 1] == 0; }
  // A thread joins the current generation; returns it.
  uint64_t enter(ppc::Hart& h);
  void leave(ppc::Hart& h, uint64_t generation);
  // Requires previous_drained().
  void swap(ppc::Hart& h, uint32_t cycles);
  // Told of every swap (the kernel's observer), with the cycle it happened.
  void on_swap(std::function<void(uint64_t)> f) { on_swap_ = std::move(f); }
  uint64_t swaps() const { return swaps_; }
  uint64_t address() const { return line_; }
  const LatencyHistogram<4>& swap_intervals() const { return intervals_; }

 private:
  uint64_t line_;  // [current generation][count of even generations][count of odd generations]
  uint64_t seq_ = 0, swaps_ = 0, last_swap_ = 0;
  std::function<void(uint64_t)> on_swap_;
  uint64_t count_[2] = {0, 0};
  LatencyHistogram<4> intervals_;  // cycles between this CPU's swaps
};

class QuiescenceToken {
 public:
  using Callback = std::function<void(ppc::Hart&)>;
  QuiescenceToken(GuestHeap& heap, unsigned cpus, const GenerationConfig& cfg, uint64_t min_round_cycles);

  // At each scheduling point of a CPU: start a round (CPU 0), or do this
  // CPU's swaps and pass the token when it holds it.
  void poll(ppc::Hart& h, GenerationCount& gen);
  // `cb` runs (on the CPU that completes the round) once every thread that
  // exists at `cycle` has ended.
  void request(uint64_t cycle, Callback cb);

  uint64_t rounds() const { return rounds_; }
  const LatencyHistogram<4>& round_cycles() const { return round_cycles_; }
  unsigned holder() const { return holder_; }
  size_t pending() const { return waiting_.size(); }

 private:
  void complete_round(ppc::Hart& h);

  uint64_t line_;  // [holder][rounds completed]
  unsigned cpus_;
  GenerationConfig cfg_;
  uint64_t min_round_;
  bool active_ = false;
  unsigned holder_ = 0, phase_ = 0;
  uint64_t arrival_ = 0, round_start_ = 0, next_round_ = 0, rounds_ = 0;
  struct Waiter {
    uint64_t cycle;
    Callback cb;
  };
  std::vector<Waiter> waiting_;  // request order
  LatencyHistogram<4> round_cycles_;
};

}  // namespace quiesce::os
