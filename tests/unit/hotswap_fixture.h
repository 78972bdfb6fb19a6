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
      : strategies(s.impls, s.objects, h), sys(s, strategies.gates()), hs(sys.kernel->swap_interface(), s.impls, s.objects, h, strategies) {}
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

// On the CPU doing its work a swap goes through every phase its strategy declares, in order.
inline void check_phases_in_order(const hotswap::Swap& m) {
  const size_t phases = m.phase_names().size();
  REQUIRE(phases > 0);
  for (unsigned c = 0; c < m.cpus().size(); ++c) {
    const auto& r = m.cpus()[c];
    if (!r.worker) continue;
    INFO("cpu " << c);
    CHECK(m.phase(c) == hotswap::kPhaseDone);
    for (size_t p = 0; p < phases; ++p) {
      CHECK(r.start[p] > 0);
      CHECK(r.end[p] >= r.start[p]);
      if (p) CHECK(r.start[p] >= r.end[p - 1]);
    }
    CHECK(r.blocked == r.released);
  }
}

}  // namespace qtest
