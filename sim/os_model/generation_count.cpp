#include "os_model/generation_count.h"

#include <fmt/format.h>

#include "os_model/host_access.h"

namespace quiesce::os {

GenerationCount::GenerationCount(GuestHeap& heap, unsigned cpu)
    : line_(heap.allocate(fmt::format("generation.cpu{}", cpu), 24)) {}

uint64_t GenerationCount::enter(ppc::Hart& h) {
  const uint64_t g = seq_;
  count_[g & 1] = host_atomic_add(h, line_ + 8 + 8 * (g & 1), 1);
  return g;
}

void GenerationCount::leave(ppc::Hart& h, uint64_t generation) {
  count_[generation & 1] = host_atomic_add(h, line_ + 8 + 8 * (generation & 1), -1);
}

void GenerationCount::swap(ppc::Hart& h, uint32_t cycles) {
  ++seq_;
  host_atomic_add(h, line_, 1);
  h.charge(cycles);
  if (swaps_++) intervals_.add(h.cycle() - last_swap_);
  last_swap_ = h.cycle();
  if (on_swap_) on_swap_(h.cycle());
}

QuiescenceToken::QuiescenceToken(GuestHeap& heap, unsigned cpus, const GenerationConfig& cfg, uint64_t min_round_cycles)
    : line_(heap.allocate("generation.token", 16)), cpus_(cpus), cfg_(cfg), min_round_(min_round_cycles) {}

void QuiescenceToken::request(uint64_t cycle, Callback cb) { waiting_.push_back({cycle, std::move(cb)}); }

// Host state changes before each timed access: an access may wait for
// SystemC time, and other CPUs poll the token meanwhile.
void QuiescenceToken::poll(ppc::Hart& h, GenerationCount& gen) {
  const unsigned cpu = h.id();
  if (!active_) {
    // CPU 0 starts rounds: continuously, or when someone waits.
    if (cpu != 0 || h.cycle() < next_round_ || (!cfg_.token && waiting_.empty())) return;
    active_ = true, holder_ = 0, phase_ = 0;
    arrival_ = round_start_ = h.cycle();
    host_store(h, line_, 0);
  }
  if (holder_ != cpu || h.cycle() < arrival_) return;
  while (phase_ < 2 && gen.previous_drained()) {
    const bool first = phase_++ == 0;
    if (first && cpu != 0) host_load(h, line_);  // notices the token
    gen.swap(h, cfg_.swap_cycles);
  }
  if (phase_ < 2) return;
  h.charge(cfg_.token_pass_cycles);
  if (cpu + 1 < cpus_) {
    holder_ = cpu + 1, phase_ = 0, arrival_ = h.cycle();
    host_store(h, line_, cpu + 1);
    return;
  }
  complete_round(h);
}

void QuiescenceToken::complete_round(ppc::Hart& h) {
  // Callbacks requested before the round began are satisfied; they may request more.
  std::vector<Waiter> due, later;
  for (auto& w : waiting_) (w.cycle <= round_start_ ? due : later).push_back(std::move(w));
  waiting_ = std::move(later);
  round_cycles_.add(h.cycle() - round_start_);
  next_round_ = round_start_ + min_round_;
  active_ = false;
  const uint64_t round = ++rounds_;
  host_store(h, line_ + 8, round);
  for (auto& w : due) w.cb(h);
}

}  // namespace quiesce::os
