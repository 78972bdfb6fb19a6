// Hot-swap test fixture: an OsSystem with the scenario's quiescence
// strategies' call gates and a HotSwapManager on it.
#pragma once
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "hotswap/hotswap_manager.h"
#include "os_system.h"

namespace qtest {

inline os::ImplementationSpec versioned(std::string name, os::RootKind root, unsigned version) {
  auto i = counter_impl(std::move(name), root);
  i.class_name = "Counter";
  i.version = version;
  i.methods[0].instructions = 40;  // long enough that calls are in flight at the swap
  return i;
}

struct Swapped {
  hotswap::StrategySet strategies;
  OsSystem sys;
  hotswap::HotSwapManager hs;
  Swapped(const Spec& s, const hotswap::HotSwapSpec& h)
      : strategies(s.impls, s.objects, h), sys(s, strategies.gates()), hs(*sys.kernel, s.impls, s.objects, h, strategies) {}
  const hotswap::Swap& swap(size_t i = 0) {
    REQUIRE(hs.swaps().size() > i);
    return *hs.swaps()[i];
  }
  // Sum of the object's state word over the reps it has now.
  uint64_t state(unsigned coid) {
    uint64_t sum = 0;
    const os::Root& root = sys.kernel->objects().root(coid);
    for (unsigned c = 0; c < sys.harts.size(); ++c)
      if (const uint64_t rep = root.rep_if_any(c); rep && (root.kind() == os::RootKind::PerCpu || c == 0))
        sum += sys.counter(rep);
    return sum;
  }
};

inline hotswap::HotSwapSpec swap_at(double us, std::string object, std::string to) {
  hotswap::HotSwapSpec h;
  hotswap::SwapEvent e;
  e.object = std::move(object);
  e.to = std::move(to);
  e.at_us = us;
  h.swaps.push_back(e);
  return h;
}

// The phases a strategy's swap goes through on the CPU doing its work.
inline std::vector<hotswap::Phase> phases_of(const std::string& strategy) {
  using P = hotswap::Phase;
  if (strategy == "k42_generation") return {P::Interpose, P::Forward, P::Block, P::Transfer, P::Complete};
  if (strategy == "stack_trace" || strategy == "direct") return {P::Stop, P::Walk, P::Transfer, P::Complete};
  if (strategy == "counter_threshold") return {P::Count, P::Transfer, P::Complete};
  return {P::Block, P::Transfer, P::Complete};
}

inline void check_phases_in_order(const hotswap::Swap& m) {
  const auto phases = phases_of(m.strategy());
  for (unsigned c = 0; c < m.cpus().size(); ++c) {
    const auto& r = m.cpus()[c];
    if (!r.worker) continue;
    INFO("cpu " << c);
    CHECK(m.phase(c) == hotswap::Phase::Done);
    for (size_t i = 0; i < phases.size(); ++i) {
      const auto p = static_cast<unsigned>(phases[i]);
      CHECK(r.start[p] > 0);
      CHECK(r.end[p] >= r.start[p]);
      if (i) CHECK(r.start[p] >= r.end[static_cast<unsigned>(phases[i - 1])]);
    }
    CHECK(r.blocked == r.released);
  }
}


}  // namespace qtest
