// Broken twins of the safe strategies, for the safety oracle's mutation test:
// each is its strategy with one defect that its own mechanism would hide and
// only what executes shows — the drain skipped (the counting strategies), one
// generation counted instead of two (k42_generation), a walk that checks no
// saved return address (stack_trace, direct), every pending thread forced at the first round
// (livepatch: its `force`, unsafe by design), the old code retired without a grace period (rcu). Each is
// registered here, test-only
// and unsafe, from its original's registry entry with the defect's parameter set. The early-free twins
// keep the mechanism and free the old object when the swap begins (issue 24's use after free).
#include <memory>
#include <string>

#include "hotswap/quiescence_strategy.h"

namespace quiesce::hotswap {
namespace {

StrategyEntry twin(const std::string& of, const std::string& key, double value, const std::string& defect) {
  const StrategyEntry* base = find_strategy(of);
  if (!base) throw std::logic_error("broken twin of an unknown strategy " + of);
  StrategyEntry e = *base;
  e.info.name = of + "_broken";
  e.info.summary = of + " with a defect: " + defect;
  e.info.safe = false;
  e.info.safety = "broken on purpose (" + key + " = " + std::to_string(static_cast<int>(value)) +
                  "): the safety oracle must catch it";
  e.info.test_only = true;
  e.make = [make = base->make, key, value](const StrategyInfo& info, const StrategyParams& p) {
    StrategyParams broken = p;
    broken.set(key, value);
    return make(info, broken);
  };
  return e;
}

const StrategyRegistrar k42{twin("k42_generation", "generations", 1, "counts one generation swap, not two")};
const StrategyRegistrar global{twin("global_refcount", "drain", 0, "skips its drain")};
const StrategyRegistrar percpu{twin("percpu_refcount", "drain", 0, "skips its drain")};
const StrategyRegistrar rwlock{twin("rwlock", "drain", 0, "takes the write lock without waiting for the readers")};
const StrategyRegistrar stack{twin("stack_trace", "walk_frames", 0, "walks no saved return address")};
const StrategyRegistrar direct{twin("direct", "walk_frames", 0, "walks no saved return address")};
const StrategyRegistrar livepatch{twin("livepatch", "force", 1, "forces every pending thread at its first round")};
const StrategyRegistrar rcu{twin("rcu", "grace_period", 0, "retires the old code right after publishing")};

// Twins that free early (issue 24): the strategy itself intact, but what its swap leaves behind goes back to
// the OS allocator as the swap begins (reclaim at_start), while calls may still run on the old object.
StrategyEntry early_free(const std::string& of) {
  const StrategyEntry* base = find_strategy(of);
  if (!base) throw std::logic_error("early-free twin of an unknown strategy " + of);
  StrategyEntry e = *base;
  e.info.name = of + "_early_free";
  e.info.summary = of + " with a defect: frees the old object as its swap begins";
  e.info.safe = false;
  e.info.safety = "broken on purpose (reclaim at_start): the safety oracle must report the use after free";
  e.info.test_only = true;
  e.info.reclaim = Reclaim::AtStart;
  e.info.reclaim_rule = "none: the old object is freed when the swap begins";
  return e;
}
const StrategyRegistrar k42_early{early_free("k42_generation")};
const StrategyRegistrar global_early{early_free("global_refcount")};

}  // namespace
}  // namespace quiesce::hotswap
