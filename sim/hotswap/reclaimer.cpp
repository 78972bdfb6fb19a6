#include "hotswap/reclaimer.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "diag/log.h"

namespace quiesce::hotswap {

void Reclaimer::free_now(ppc::Hart& h, const Garbage& g) {
  auto& heap = k_.objects.heap();
  // No translation entry may still lead into what is freed: the next call through it would run on a block
  // that is free or someone else's (a mediator rep a miss installed after the swing, say).
  auto& mem = k_.facts.memory();
  for (unsigned c = 0; g.coid != kNoObject && c < k_.facts.cpus(); ++c) {
    const uint64_t e = mem.load<uint64_t>(k_.objects.ltt_entry(c, g.coid));
    if (std::find(g.reps.begin(), g.reps.end(), e) != g.reps.end() ||
        std::find(g.blocks.begin(), g.blocks.end(), e) != g.blocks.end())
      oracle_.report({h.cycle(), c, -1, g.object,
                      fmt::format("cpu {}'s translation entry still points to 0x{:x}, freed after swap {} (a use after "
                                  "free at its next call)", c, e, g.swap),
                      static_cast<int>(g.swap)});
  }
  for (uint64_t b : g.blocks)
    if (b) heap.free_block(&h, h.id(), b);
  for (uint64_t r : g.reps)
    if (r) heap.free_block(&h, h.id(), r);
  if (g.impl >= 0 && !g.reps.empty())
    oracle_.freed(k_, g.swap, g.coid, static_cast<unsigned>(g.impl), impls_[static_cast<unsigned>(g.impl)], g.reps,
                  g.object, h.cycle());
}

void Reclaimer::retire(ppc::Hart& h, Reclaim rule, Garbage g, std::function<void(uint64_t)> freed) {
  if (g.reps.empty() && g.blocks.empty()) {
    if (freed) freed(h.cycle());
    return;
  }
  if (rule != Reclaim::Generations) {
    free_now(h, g);
    if (freed) freed(h.cycle());
    return;
  }
  // Two generation swaps on every CPU from now.
  Wait w{std::move(g), {}, std::move(freed)};
  for (unsigned c = 0; c < k_.facts.cpus(); ++c) w.target.push_back(k_.threads.generation(c).swaps() + 2);
  waits_.push_back(std::move(w));
  if (!hook_) hook_ = k_.hooks.add_entry_hook([this](ppc::Hart& hh) { poll(hh); });
}

// At every kernel entry while something waits: this CPU swaps generations when it may and a wait still
// needs it; the waits whose every CPU reached its target are freed here, in the order retired. Targets
// only grow in that order (swaps only add up), so the ready ones are a prefix and the last needs most.
// They leave the list before any is freed: a free's timed accesses may let other CPUs run this meanwhile.
void Reclaimer::poll(ppc::Hart& h) {
  if (waits_.empty()) return;  // (the hook stays once made: one hook for the run, whatever the swaps)
  const unsigned cpus = k_.facts.cpus();
  os::GenerationCount& gen = k_.threads.generation(h.id());
  if (gen.swaps() < waits_.back().target[h.id()] && gen.previous_drained())
    gen.swap(h, k_.threads.generation_swap_cycles());
  size_t ready = 0;
  for (; ready < waits_.size(); ++ready) {
    bool all = true;
    for (unsigned c = 0; c < cpus && all; ++c) all = k_.threads.generation(c).swaps() >= waits_[ready].target[c];
    if (!all) break;
  }
  if (!ready) return;
  // Per CPU, not on its stack: the frees' timed accesses may be where the run ends, the CPU's SystemC thread
  // suspended (a local's heap would leak).
  if (now_.size() < cpus) now_.resize(cpus);
  std::vector<Wait>& now = now_[h.id()];
  now.assign(std::make_move_iterator(waits_.begin()), std::make_move_iterator(waits_.begin() + static_cast<std::ptrdiff_t>(ready)));
  waits_.erase(waits_.begin(), waits_.begin() + static_cast<std::ptrdiff_t>(ready));
  for (Wait& w : now) {
    free_now(h, w.g);
    if (w.freed) w.freed(h.cycle());
  }
}

}  // namespace quiesce::hotswap
